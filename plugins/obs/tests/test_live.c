/* The core against a real `facecast serve` (started by live_helper.py, which also opens
 * the session, loads the built-in portrait and pushes speech). Talks to the helper by
 * lines on stdout: READY (subscribed), PHASE1 OK (frames checked), STALE (the runtime
 * went away and the picture would be cleared), RESUMED (frames again after a restart,
 * same receiver, no reconnect call).
 * usage: test_live ENDPOINT SESSION SIZE FORMAT FPS MIN_FRAMES TRANSPARENT(0|1) RESTART(0|1) */
#define _POSIX_C_SOURCE 200809L
#include <time.h>

#include "test_util.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void say(const char *line)
{
	printf("%s\n", line);
	fflush(stdout);
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

typedef struct expect {
	const char *session;
	uint32_t size;
	fc_pixel_format format;
	double fps;
	bool transparent;
} expect;

static void check_frame(const fc_frame *f, const expect *e)
{
	CHECK_STR(f->header.session, e->session);
	CHECK_EQ_U64(f->header.width, e->size);
	CHECK_EQ_U64(f->header.height, e->size);
	CHECK(f->header.format == e->format);
	CHECK(f->header.stride >= f->header.width * 4);
	CHECK_EQ_U64(f->pixels_len, (uint64_t)f->header.height * f->header.stride);
}

/* A rendered portrait is not a flat colour; with a transparent background, the corners
 * are see-through and the face in the middle is opaque. */
static void check_picture(const fc_frame *f, const expect *e)
{
	const uint32_t w = f->header.width, h = f->header.height;
	size_t alpha0 = 0, alpha255 = 0;
	unsigned lo = 255, hi = 0;
	for (uint32_t y = 0; y < h; y++) {
		const uint8_t *row = f->pixels + (size_t)y * f->header.stride;
		for (uint32_t x = 0; x < w; x++) {
			const uint8_t *px = row + (size_t)x * 4;
			alpha0 += px[3] == 0;
			alpha255 += px[3] == 255;
			if (px[3] == 255) {
				lo = px[1] < lo ? px[1] : lo;
				hi = px[1] > hi ? px[1] : hi;
			}
		}
	}
	const double n = (double)w * h;
	printf("picture: %.1f%% transparent, %.1f%% opaque, green range %u..%u\n", 100.0 * (double)alpha0 / n,
	       100.0 * (double)alpha255 / n, lo, hi);
	CHECK(hi - lo > 60);
	if (e->transparent) {
		CHECK((double)alpha0 / n > 0.05);
		CHECK((double)alpha255 / n > 0.10);
		const uint8_t *corner = f->pixels; /* top-left: background */
		const uint8_t *centre = f->pixels + (size_t)(h / 2) * f->header.stride + (size_t)(w / 2) * 4;
		CHECK(corner[3] < 32);
		CHECK(centre[3] > 223);
	} else {
		CHECK(alpha255 == (size_t)n);
	}
}

/* Phase 1: frames in order, on the audio clock, of the requested size and format. */
static bool receive_frames(fc_receiver *rx, const expect *e, int min_frames, uint64_t *last_seq, double *last_pts)
{
	double *dts = calloc((size_t)min_frames, sizeof(double));
	int n = 0, gaps = 0, n_dts = 0;
	uint64_t prev_seq = 0;
	double prev_pts = 0, first_pts = 0, first_wall = 0, last_wall = 0;
	const double deadline = now_s() + 90.0;
	while (n < min_frames && now_s() < deadline) {
		fc_message msg;
		fc_error err = fc_receiver_next(rx, &msg);
		if (err == FC_ERR_TIMEOUT || (err == FC_OK && msg.kind != FC_MESSAGE_FRAME))
			continue;
		CHECK_ERR(err, FC_OK);
		if (err != FC_OK)
			continue;
		const fc_frame *f = &msg.frame;
		check_frame(f, e);
		if (n == 0 || n == min_frames / 2)
			check_picture(f, e);
		if (n > 0) {
			CHECK(f->header.seq > prev_seq);
			CHECK(f->header.pts > prev_pts);
			if (f->header.seq == prev_seq + 1)
				dts[n_dts++] = f->header.pts - prev_pts;
			else
				gaps++;
		} else {
			first_pts = f->header.pts;
			first_wall = now_s();
		}
		prev_seq = f->header.seq;
		prev_pts = f->header.pts;
		last_wall = now_s();
		n++;
	}
	CHECK(n >= min_frames);
	double median = 0, p95 = 0;
	if (n_dts > 0) {
		qsort(dts, (size_t)n_dts, sizeof(double), compare_double);
		median = dts[n_dts / 2];
		p95 = dts[(n_dts * 95) / 100 < n_dts ? (n_dts * 95) / 100 : n_dts - 1];
	}
	const double pts_span = prev_pts - first_pts, wall_span = last_wall - first_wall;
	printf("frames %d in %.2f s (%.1f fps received), seq gaps %d, pts step median %.4f s p95 %.4f s "
	       "min %.4f s (1/fps = %.4f), pts span %.2f s over %.2f s wall\n",
	       n, wall_span, wall_span > 0 ? (n - 1) / wall_span : 0.0, gaps, median, p95, n_dts ? dts[0] : 0.0,
	       1.0 / e->fps, pts_span, wall_span);
	CHECK(gaps * 10 <= n); /* a loaded machine may drop a few, not many */
	/* frames sit on the session's frame grid (never closer than one frame interval; a
	 * runtime that cannot keep up skips frame times), and the clock runs in real time */
	CHECK(n_dts == 0 || dts[0] > 0.9 / e->fps);
	if (wall_span > 2.0)
		CHECK(pts_span / wall_span > 0.5 && pts_span / wall_span < 2.0);
	free(dts);
	*last_seq = prev_seq;
	*last_pts = prev_pts;
	return n >= min_frames;
}

int main(int argc, char **argv)
{
	if (argc != 9) {
		fprintf(stderr, "usage: %s ENDPOINT SESSION SIZE FORMAT FPS MIN_FRAMES TRANSPARENT RESTART\n", argv[0]);
		return 2;
	}
	expect e = {argv[2], (uint32_t)atoi(argv[3]), strcmp(argv[4], "BGRA") == 0 ? FC_FORMAT_BGRA : FC_FORMAT_RGBA,
		    atof(argv[5]), atoi(argv[7]) != 0};
	const int min_frames = atoi(argv[6]);
	const bool restart = atoi(argv[8]) != 0;

	fc_receiver_options opts;
	fc_receiver_options_default(&opts);
	opts.endpoint = argv[1];
	opts.session = e.session;
	opts.latest_only = false; /* keep every frame: this test checks the sequence */
	opts.high_water_mark = 64;
	fc_receiver *rx = NULL;
	CHECK_ERR(fc_receiver_create(&opts, &rx), FC_OK);
	if (rx == NULL)
		return TEST_RESULT();

	/* subscribed once a heartbeat listing our session arrives */
	bool ready = false;
	for (double deadline = now_s() + 30.0; !ready && now_s() < deadline;) {
		fc_message msg;
		if (fc_receiver_next(rx, &msg) == FC_OK && msg.kind == FC_MESSAGE_STATUS && msg.status.found)
			ready = true;
	}
	CHECK(ready);
	if (!ready)
		return TEST_RESULT();
	say("READY");

	uint64_t last_seq = 0;
	double last_pts = 0;
	if (!receive_frames(rx, &e, min_frames, &last_seq, &last_pts))
		return TEST_RESULT();
	say(test_failures ? "PHASE1 FAILED" : "PHASE1 OK");

	if (restart && test_failures == 0) {
		/* the helper stops the runtime: frames stop, and the plugin would clear the picture */
		fc_liveness live;
		fc_liveness_init(&live, 1000000000ULL);
		bool stale = false;
		for (double deadline = now_s() + 30.0; !stale && now_s() < deadline;) {
			fc_message msg;
			fc_error err = fc_receiver_next(rx, &msg);
			const uint64_t t = (uint64_t)(now_s() * 1e9);
			if (err == FC_OK && msg.kind == FC_MESSAGE_FRAME)
				fc_liveness_frame(&live, t);
			if (!live.live && live.last_frame_ns == 0)
				fc_liveness_frame(&live, t); /* start the clock even if no frame came */
			stale = fc_liveness_poll(&live, t);
		}
		CHECK(stale);
		say("STALE");
		/* the helper starts a new runtime on the same endpoint: frames come back */
		bool resumed = false;
		for (double deadline = now_s() + 120.0; !resumed && now_s() < deadline;) {
			fc_message msg;
			if (fc_receiver_next(rx, &msg) == FC_OK && msg.kind == FC_MESSAGE_FRAME) {
				check_frame(&msg.frame, &e);
				/* a new session clock: seq and pts start again */
				CHECK(msg.frame.header.seq < last_seq || msg.frame.header.pts < last_pts);
				resumed = true;
			}
		}
		CHECK(resumed);
		if (resumed) {
			uint64_t seq2;
			double pts2;
			receive_frames(rx, &e, 10, &seq2, &pts2);
			say("RESUMED");
		}
	}
	fc_receiver_stats st;
	fc_receiver_get_stats(rx, &st);
	printf("receiver: %llu frames, %llu rejected, %llu heartbeats, %llu seq gaps\n", (unsigned long long)st.frames,
	       (unsigned long long)st.rejected, (unsigned long long)st.statuses, (unsigned long long)st.seq_gaps);
	CHECK_EQ_U64(st.rejected, 0);
	fc_receiver_destroy(rx);
	return TEST_RESULT();
}
