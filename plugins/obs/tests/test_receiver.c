/* The receiver over real ZeroMQ sockets on loopback: a PUB socket in this test plays
 * the runtime. Checks subscription by session, rejection of bad messages on the wire,
 * newest-frame-wins draining, the receive timeout, status heartbeats, and that the
 * receiver picks the stream up again when the publisher goes away and comes back
 * (a runtime restart) without being recreated. */
#define _POSIX_C_SOURCE 200809L /* nanosleep, clock_gettime: the tests run on POSIX systems */
#include "publisher_util.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Sends a frame whose pixel byte i is seq+i; pixel_delta != 0 sends a wrong pixel count. */
static void send_frame(void *pub, const char *session, uint64_t seq, double pts, unsigned w, unsigned h,
		       int pixel_delta)
{
	msgpack_sbuffer sb = frame_header(session, seq, pts, w, h, w * 4);
	size_t n = (size_t)((long)w * h * 4 + pixel_delta);
	unsigned char *pixels = malloc(n ? n : 1);
	for (size_t i = 0; i < n; i++)
		pixels[i] = (unsigned char)(seq + i);
	send_frame_parts(pub, session, &sb, pixels, n);
	free(pixels);
}

static void send_status(void *pub, const char *session)
{
	send_status_for(pub, session, 1700000000.5, 25.0, -1);
}

/* Publishes heartbeats until the receiver has one (ZeroMQ's slow-joiner: a SUB only
 * gets what is sent after its subscription reached the publisher). */
static bool handshake(void *pub, fc_receiver *rx, const char *session)
{
	for (int i = 0; i < 60; i++) {
		send_status(pub, session);
		fc_message msg;
		fc_error err = fc_receiver_next(rx, &msg);
		if (err == FC_OK && msg.kind == FC_MESSAGE_STATUS) {
			CHECK(msg.status.found);
			CHECK_STR(msg.status.session.session, session);
			CHECK(msg.status.session.fps == 25.0);
			/* drain anything else queued */
			while (fc_receiver_next(rx, &msg) == FC_OK)
				;
			return true;
		}
	}
	fprintf(stderr, "no status heartbeat reached the receiver in 6 s\n");
	test_failures++;
	return false;
}

static fc_error next_frame(fc_receiver *rx, fc_message *msg)
{
	for (;;) {
		fc_error err = fc_receiver_next(rx, msg);
		if (err != FC_OK || msg->kind == FC_MESSAGE_FRAME)
			return err;
	}
}

/* A runtime serving beyond loopback uses CurveZMQ: with its public key the receiver gets
 * frames; without it, nothing; a malformed key is refused up front. */
static void check_curve(void *ctx)
{
	char server_public[41], server_secret[41];
	CHECK(zmq_curve_keypair(server_public, server_secret) == 0);
	void *secure = new_pub(ctx, server_secret);
	char endpoint[256];
	bind_pub(secure, "tcp://127.0.0.1:*", endpoint, sizeof(endpoint));

	fc_receiver_options opts;
	fc_receiver_options_default(&opts);
	opts.endpoint = endpoint;
	opts.session = "npc-1";
	fc_receiver *rx = NULL;
	opts.server_key = "too-short";
	CHECK_ERR(fc_receiver_create(&opts, &rx), FC_ERR_KEY);
	opts.server_key = "~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~"; /* 40 characters outside Z85 */
	CHECK_ERR(fc_receiver_create(&opts, &rx), FC_ERR_KEY);

	opts.server_key = NULL; /* plain TCP against a CURVE publisher: the handshake never completes */
	fc_receiver *plain = NULL;
	CHECK_ERR(fc_receiver_create(&opts, &plain), FC_OK);
	opts.server_key = server_public;
	CHECK_ERR(fc_receiver_create(&opts, &rx), FC_OK);
	if (rx != NULL && plain != NULL && handshake(secure, rx, "npc-1")) {
		send_frame(secure, "npc-1", 1, 0.04, 16, 16, 0);
		fc_message msg;
		CHECK_ERR(next_frame(rx, &msg), FC_OK);
		CHECK_EQ_U64(msg.frame.header.width, 16);
		int got = 0;
		for (int i = 0; i < 5; i++) {
			send_status(secure, "npc-1");
			send_frame(secure, "npc-1", 2, 0.08, 16, 16, 0);
			got += fc_receiver_next(plain, &msg) == FC_OK;
		}
		CHECK(got == 0);
	}
	fc_receiver_destroy(rx);
	fc_receiver_destroy(plain);
	zmq_close(secure);
}

int main(void)
{
	void *ctx = zmq_ctx_new();
	void *pub = new_pub(ctx, NULL);
	char endpoint[256];
	bind_pub(pub, "tcp://127.0.0.1:*", endpoint, sizeof(endpoint));

	/* argument checks */
	fc_receiver_options opts;
	fc_receiver_options_default(&opts);
	fc_receiver *rx = NULL;
	opts.endpoint = "";
	CHECK_ERR(fc_receiver_create(&opts, &rx), FC_ERR_ARGUMENT);
	opts.endpoint = "nonsense://here";
	CHECK_ERR(fc_receiver_create(&opts, &rx), FC_ERR_ZMQ);
	opts.endpoint = endpoint;
	opts.session = "a/b";
	CHECK_ERR(fc_receiver_create(&opts, &rx), FC_ERR_SESSION);
	CHECK(rx == NULL);

	opts.session = "npc-1";
	CHECK_ERR(fc_receiver_create(&opts, &rx), FC_OK);
	if (rx == NULL || !handshake(pub, rx, "npc-1"))
		return TEST_RESULT();

	/* frames of this session arrive in order, with their pixels; others are filtered out */
	fc_message msg;
	for (uint64_t seq = 0; seq < 5; seq++) {
		send_frame(pub, "npc-10", seq, 0.04 * (double)seq, 8, 8, 0); /* prefix of npc-1 without the slash */
		send_frame(pub, "npc-1", seq, 0.04 * (double)seq, 64, 32, 0);
		CHECK_ERR(next_frame(rx, &msg), FC_OK);
		CHECK_STR(msg.frame.header.session, "npc-1");
		CHECK_EQ_U64(msg.frame.header.seq, seq);
		CHECK_EQ_U64(msg.frame.header.width, 64);
		CHECK_EQ_U64(msg.frame.header.height, 32);
		CHECK(msg.frame.header.format == FC_FORMAT_BGRA);
		CHECK_EQ_U64(msg.frame.pixels_len, 64 * 32 * 4);
		CHECK(msg.frame.pixels[0] == (unsigned char)seq && msg.frame.pixels[100] == (unsigned char)(seq + 100));
	}

	/* an empty session subscribes to every session's frames */
	fc_receiver_options any_opts = opts;
	any_opts.session = "";
	any_opts.latest_only = false; /* keep both sessions' frames to look at them */
	fc_receiver *any = NULL;
	CHECK_ERR(fc_receiver_create(&any_opts, &any), FC_OK);
	if (any != NULL && handshake(pub, any, "npc-1")) {
		send_frame(pub, "npc-10", 0, 0.0, 8, 8, 0);
		send_frame(pub, "npc-1", 5, 0.2, 16, 16, 0);
		CHECK_ERR(next_frame(any, &msg), FC_OK);
		CHECK_STR(msg.frame.header.session, "npc-10");
		CHECK_ERR(next_frame(any, &msg), FC_OK);
		CHECK_STR(msg.frame.header.session, "npc-1");
		/* following one session without reconnecting, then every session again */
		CHECK_ERR(fc_receiver_set_session(any, "a/b"), FC_ERR_SESSION);
		CHECK_ERR(fc_receiver_set_session(any, "npc-10"), FC_OK);
		sleep_ms(300); /* the new subscription reaches the publisher */
		send_frame(pub, "npc-1", 100, 4.0, 16, 16, 0);
		send_frame(pub, "npc-10", 1, 0.04, 8, 8, 0);
		CHECK_ERR(next_frame(any, &msg), FC_OK);
		CHECK_STR(msg.frame.header.session, "npc-10");
		CHECK_ERR(fc_receiver_set_session(any, ""), FC_OK);
		sleep_ms(300);
		send_frame(pub, "npc-1", 101, 4.04, 16, 16, 0);
		CHECK_ERR(next_frame(any, &msg), FC_OK);
		CHECK_STR(msg.frame.header.session, "npc-1");
		CHECK_EQ_U64(msg.frame.header.seq, 101);
		/* the npc-1 receiver got only its own frames (5, 100, 101; newest wins when queued) */
		fc_error err;
		do {
			err = next_frame(rx, &msg);
			CHECK_ERR(err, FC_OK);
			CHECK_STR(msg.frame.header.session, "npc-1");
			CHECK_EQ_U64(msg.frame.header.width, 16);
		} while (err == FC_OK && msg.frame.header.seq != 101);
	}
	fc_receiver_destroy(any);

	/* bad messages on the wire are consumed and reported */
	send_frame(pub, "npc-1", 6, 0.24, 16, 16, -1);
	CHECK_ERR(next_frame(rx, &msg), FC_ERR_PIXELS);
	zmq_send(pub, "frame/npc-1/", 12, ZMQ_SNDMORE);
	zmq_send(pub, "\x81\xa1v\x01", 4, 0);
	CHECK_ERR(next_frame(rx, &msg), FC_ERR_PARTS);
	zmq_send(pub, "frame/npc-1/", 12, ZMQ_SNDMORE);
	zmq_send(pub, "\xc1", 1, ZMQ_SNDMORE);
	zmq_send(pub, "", 0, 0);
	CHECK_ERR(next_frame(rx, &msg), FC_ERR_MSGPACK);

	/* nothing sent: the call returns after the receive timeout, not later */
	double t0 = now_s();
	CHECK_ERR(fc_receiver_next(rx, &msg), FC_ERR_TIMEOUT);
	double waited = now_s() - t0;
	CHECK(waited >= 0.05 && waited < 2.0);

	/* a backlog: the newest frame wins, the older ones are skipped */
	for (uint64_t seq = 7; seq < 10; seq++)
		send_frame(pub, "npc-1", seq, 0.04 * (double)seq, 64, 32, 0);
	send_status(pub, "npc-1");
	sleep_ms(1000); /* all four messages queued in the receiver (loopback: microseconds; slack for a loaded machine)
			 */
	fc_receiver_stats before, after;
	fc_receiver_get_stats(rx, &before);
	CHECK_ERR(fc_receiver_next(rx, &msg), FC_OK);
	CHECK(msg.kind == FC_MESSAGE_FRAME);
	CHECK_EQ_U64(msg.frame.header.seq, 9);
	fc_receiver_get_stats(rx, &after);
	CHECK_EQ_U64(after.skipped - before.skipped, 2);
	CHECK_ERR(fc_receiver_next(rx, &msg), FC_OK); /* the heartbeat seen while draining */
	CHECK(msg.kind == FC_MESSAGE_STATUS);

	/* the runtime restarts: the publisher goes away and binds the same endpoint again */
	zmq_close(pub);
	CHECK_ERR(fc_receiver_next(rx, &msg), FC_ERR_TIMEOUT);
	sleep_ms(300);
	pub = new_pub(ctx, NULL);
	if (bind_pub(pub, endpoint, NULL, 0) && handshake(pub, rx, "npc-1")) {
		send_frame(pub, "npc-1", 0, 0.0, 32, 32, 0); /* a fresh session clock */
		CHECK_ERR(next_frame(rx, &msg), FC_OK);
		CHECK_EQ_U64(msg.frame.header.seq, 0);
		CHECK_EQ_U64(msg.frame.header.width, 32);
		fc_receiver_get_stats(rx, &after);
		CHECK(after.seq_gaps >= 1); /* 9 -> 0 */
		CHECK(after.rejected == 3);
		printf("frames %llu, skipped %llu, rejected %llu, statuses %llu, seq gaps %llu\n",
		       (unsigned long long)after.frames, (unsigned long long)after.skipped,
		       (unsigned long long)after.rejected, (unsigned long long)after.statuses,
		       (unsigned long long)after.seq_gaps);
	}

	fc_receiver_destroy(rx);
	zmq_close(pub);
	check_curve(ctx);
	zmq_ctx_term(ctx);
	return TEST_RESULT();
}
