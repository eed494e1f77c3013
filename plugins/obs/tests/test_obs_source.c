/* The plugin inside a real libobs: loads the built module, creates a "facecast"
 * source, and plays the runtime with a PUB socket on loopback. Checks what OBS sees:
 * frames with the header's size, format and timestamp; the picture cleared (width 0,
 * not a frozen frame) when frames stop; a session change in the settings taking
 * effect; recovery after the publisher restarts; and a clean destroy.
 * Needs an X display for libobs (ctest runs it under xvfb-run) and Mesa's software GL. */
#define _POSIX_C_SOURCE 200809L
#include <obs.h>
#include <util/platform.h>

#include "obs_test_util.h"
#include "publisher_util.h"

#define W 64
#define H 48

static void *pub;

static char endpoint[256];

/* pixel byte i of a frame (counting row padding) is i*7+seq */
static unsigned stride_pad;

static void send_frame_sized(const char *session, uint64_t seq, unsigned w, unsigned h)
{
	const unsigned stride = w * 4 + stride_pad;
	msgpack_sbuffer sb = frame_header(session, seq, 0.04 * (double)seq, w, h, stride);
	static unsigned char pixels[(W * 4 + 64) * H];
	const size_t n = (size_t)stride * h;
	for (size_t i = 0; i < n; i++)
		pixels[i] = (unsigned char)(i * 7 + seq);
	send_frame_parts(pub, session, &sb, pixels, n);
}

static void send_frame(const char *session, uint64_t seq)
{
	send_frame_sized(session, seq, W, H);
}

/* A heartbeat listing one session, as the runtime sends at least once a second. */
static void send_status(const char *session)
{
	send_status_for(pub, session, 1700000000.0, 24.5, 3);
}

/* Publishes frames of `session` at 25 fps until OBS shows a picture (or 8 s pass). */
static bool publish_until_shown(obs_source_t *src, const char *session, uint64_t *seq)
{
	for (int i = 0; i < 200; i++) {
		send_frame(session, (*seq)++);
		os_sleep_ms(40);
		if (obs_source_get_width(src) == W && obs_source_get_height(src) == H)
			return true;
	}
	return false;
}

/* Waits (without publishing) up to ms for the picture to be cleared. */
static bool wait_cleared(obs_source_t *src, int ms)
{
	for (int t = 0; t < ms; t += 20) {
		if (obs_source_get_width(src) == 0)
			return true;
		os_sleep_ms(20);
	}
	return false;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s MODULE DATA_DIR\n", argv[0]);
		return 2;
	}
	if (!start_obs_with_module("facecast test", argv[1], argv[2]))
		return SKIP;

	void *ctx = zmq_ctx_new();
	pub = new_pub(ctx, NULL);
	bind_pub(pub, "tcp://127.0.0.1:*", endpoint, sizeof(endpoint));

	obs_data_t *settings = obs_data_create();
	obs_data_set_string(settings, "endpoint", endpoint);
	obs_data_set_string(settings, "session", "npc-1");
	obs_data_set_int(settings, "timeout_ms", 400);
	obs_source_t *src = obs_source_create("facecast_source", "facecast test", settings, NULL);
	CHECK(src != NULL);
	if (src == NULL)
		return TEST_RESULT();
	CHECK(obs_source_async_unbuffered(src));
	CHECK((obs_source_get_output_flags(src) & OBS_SOURCE_ASYNC_VIDEO) == OBS_SOURCE_ASYNC_VIDEO);
	CHECK_EQ_U64(obs_source_get_width(src), 0); /* nothing before the first frame */

	/* frames reach OBS with the header's size, format and timestamp */
	uint64_t seq = 0;
	CHECK(publish_until_shown(src, "npc-1", &seq));
	struct obs_source_frame *frame = NULL;
	for (int i = 0; i < 50 && frame == NULL; i++) {
		send_frame("npc-1", seq++);
		os_sleep_ms(40);
		frame = obs_source_get_frame(src);
	}
	CHECK(frame != NULL);
	if (frame != NULL) {
		CHECK_EQ_U64(frame->width, W);
		CHECK_EQ_U64(frame->height, H);
		CHECK(frame->format == VIDEO_FORMAT_BGRA);
		CHECK_EQ_U64(frame->linesize[0], W * 4);
		uint64_t frame_seq = (uint64_t)((double)frame->timestamp / 40e6 + 0.5);
		CHECK_EQ_U64(frame->timestamp, frame_seq * 40000000ULL);
		CHECK(frame->data[0][0] == (unsigned char)frame_seq &&
		      frame->data[0][10] == (unsigned char)(70 + frame_seq));
		obs_source_release_frame(src, frame);
	}
	/* rows with padding (stride > width*4): OBS gets the rows, not the padding */
	stride_pad = 24;
	const uint64_t padded_from = seq;
	frame = NULL;
	for (int i = 0; i < 50 && frame == NULL; i++) {
		send_frame("npc-1", seq++);
		os_sleep_ms(40);
		frame = obs_source_get_frame(src);
		if (frame != NULL && frame->timestamp < padded_from * 40000000ULL) {
			obs_source_release_frame(src, frame); /* sent before the padding */
			frame = NULL;
		}
	}
	CHECK(frame != NULL);
	if (frame != NULL) {
		const uint64_t fseq = (uint64_t)((double)frame->timestamp / 40e6 + 0.5);
		const size_t stride = W * 4 + stride_pad;
		bool rows_ok = true;
		for (size_t y = 0; y < H; y++)
			for (size_t x = 0; x < W * 4; x++)
				rows_ok = rows_ok && frame->data[0][y * frame->linesize[0] + x] ==
							     (unsigned char)((y * stride + x) * 7 + fseq);
		CHECK(rows_ok);
		obs_source_release_frame(src, frame);
	}
	stride_pad = 0;

	char status[512];
	for (int i = 0; i < 50; i++) { /* the status line is refreshed twice a second */
		send_status("npc-1");
		send_frame("npc-1", seq++);
		os_sleep_ms(40);
		status_line(src, status, sizeof(status));
		if (strstr(status, "Receiving") != NULL && strstr(status, "runtime") != NULL)
			break;
	}
	printf("status while receiving: %s\n", status);
	CHECK(strstr(status, "Receiving session npc-1: 64x48 BGRA") != NULL);
	CHECK(strstr(status, "runtime 24.5 fps, 3 dropped") != NULL);

	/* frames stop: the picture is cleared, not frozen */
	CHECK(wait_cleared(src, 4000));
	for (int i = 0; i < 50 && strstr(status, "No picture") == NULL; i++) {
		os_sleep_ms(40);
		status_line(src, status, sizeof(status));
	}
	printf("status after frames stopped: %s\n", status);
	CHECK(strstr(status, "No picture") != NULL);

	/* switching the session in the settings: the old session's frames no longer show */
	obs_data_set_string(settings, "session", "npc-2");
	obs_source_update(src, settings);
	for (int i = 0; i < 25; i++) {
		send_frame("npc-1", seq++);
		os_sleep_ms(40);
	}
	CHECK_EQ_U64(obs_source_get_width(src), 0);
	uint64_t seq2 = 0;
	CHECK(publish_until_shown(src, "npc-2", &seq2));

	/* the runtime restarts on the same endpoint: the picture comes back by itself */
	zmq_close(pub);
	CHECK(wait_cleared(src, 4000));
	pub = new_pub(ctx, NULL);
	bind_pub(pub, endpoint, NULL, 0);
	seq2 = 0;
	CHECK(publish_until_shown(src, "npc-2", &seq2));

	/* a session id the protocol cannot carry: said in the status line, nothing shown */
	obs_data_set_string(settings, "session", "a/b");
	obs_source_update(src, settings);
	CHECK(wait_cleared(src, 4000));
	for (int i = 0; i < 100 && strstr(status, "Cannot subscribe") == NULL; i++) {
		os_sleep_ms(20);
		status_line(src, status, sizeof(status));
	}
	printf("status with a bad session: %s\n", status);
	CHECK(strstr(status, "Cannot subscribe") != NULL && strstr(status, "FC_ERR_SESSION") != NULL);

	/* no session configured: the source follows the first session that sends frames and
	 * ignores the others while it does, then takes the next one when it stops */
	obs_data_set_string(settings, "session", "");
	obs_source_update(src, settings);
	CHECK(wait_cleared(src, 4000));
	CHECK(publish_until_shown(src, "npc-2", &seq2));
	bool steady = true;
	for (int i = 0; i < 30; i++) {
		send_frame_sized("npc-3", (uint64_t)i, 32, 32);
		send_frame("npc-2", seq2++);
		os_sleep_ms(40);
		steady = steady && obs_source_get_width(src) == W;
	}
	CHECK(steady);
	bool switched = false;
	for (int i = 30; i < 150 && !switched; i++) { /* npc-2 stops; npc-3 goes on */
		send_frame_sized("npc-3", (uint64_t)i, 32, 32);
		os_sleep_ms(40);
		switched = obs_source_get_width(src) == 32;
	}
	CHECK(switched);

	/* a remote runtime with CurveZMQ: the key pasted as its line from server.key */
	char server_public[41], server_secret[41];
	CHECK(zmq_curve_keypair(server_public, server_secret) == 0);
	void *plain_pub = pub;
	pub = new_pub(ctx, server_secret);
	char secure_endpoint[256];
	bind_pub(pub, "tcp://127.0.0.1:*", secure_endpoint, sizeof(secure_endpoint));
	char pasted[128];
	snprintf(pasted, sizeof(pasted), "    public-key = \"%s\"\n", server_public);
	obs_data_set_string(settings, "endpoint", secure_endpoint);
	obs_data_set_string(settings, "server_key", pasted);
	obs_source_update(src, settings);
	uint64_t seq3 = 0;
	CHECK(publish_until_shown(src, "npc-3", &seq3));
	zmq_close(pub);
	pub = plain_pub;

	/* destroy while frames are flowing: the receiver thread stops, nothing hangs */
	send_frame("npc-2", seq2++);
	uint64_t t0 = os_gettime_ns();
	obs_source_release(src);
	for (int i = 0; i < 200 && !source_destroyed; i++)
		os_sleep_ms(5);
	CHECK(source_destroyed);
	double destroy_ms = (double)(os_gettime_ns() - t0) / 1e6;
	printf("source destroyed in %.1f ms\n", destroy_ms);
	CHECK(destroy_ms < 1000.0);

	obs_data_release(settings);
	zmq_close(pub);
	zmq_ctx_term(ctx);
	obs_shutdown();
	return TEST_RESULT();
}
