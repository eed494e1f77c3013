/* The runtime's side of the wire for the tests that feed the receiver from a real PUB
 * socket on loopback (test_receiver without libobs, test_obs_source inside it): frame and
 * status messages laid out as docs/protocol says, and publishers bound to loopback,
 * again on the same endpoint when a test restarts "the runtime". One copy, so the two
 * suites cannot drift apart in what they send. */
#ifndef FACECAST_PUBLISHER_UTIL_H
#define FACECAST_PUBLISHER_UTIL_H

#include <msgpack.h>
#include <time.h>
#include <zmq.h>

#include "test_util.h"

static inline void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static inline void pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str_with_body(pk, s, strlen(s));
}

/* Starts a message in sb (initialised here): a map of `fields` entries, "v": 1 first. */
static inline msgpack_packer begin_message(msgpack_sbuffer *sb, size_t fields)
{
	msgpack_sbuffer_init(sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, fields);
	pack_str(&pk, "v");
	msgpack_pack_uint8(&pk, 1);
	return pk;
}

/* A BGRA frame's header (msgpack-c packs each integer in its smallest form, so the
 * width of the C type does not reach the wire). */
static inline msgpack_sbuffer frame_header(const char *session, uint64_t seq, double pts, unsigned w, unsigned h,
					   unsigned stride)
{
	msgpack_sbuffer sb;
	msgpack_packer pk = begin_message(&sb, 8);
	pack_str(&pk, "session");
	pack_str(&pk, session);
	pack_str(&pk, "seq");
	msgpack_pack_uint64(&pk, seq);
	pack_str(&pk, "pts");
	msgpack_pack_double(&pk, pts);
	pack_str(&pk, "width");
	msgpack_pack_uint32(&pk, w);
	pack_str(&pk, "height");
	msgpack_pack_uint32(&pk, h);
	pack_str(&pk, "format");
	pack_str(&pk, "BGRA");
	pack_str(&pk, "stride");
	msgpack_pack_uint32(&pk, stride);
	return sb;
}

/* Sends [frame/<session>/, header, pixels] and frees the header. */
static inline void send_frame_parts(void *pub, const char *session, msgpack_sbuffer *header,
				    const unsigned char *pixels, size_t n)
{
	char topic[160];
	snprintf(topic, sizeof(topic), "frame/%s/", session);
	zmq_send(pub, topic, strlen(topic), ZMQ_SNDMORE);
	zmq_send(pub, header->data, header->size, ZMQ_SNDMORE);
	zmq_send(pub, pixels, n, 0);
	msgpack_sbuffer_destroy(header);
}

/* A heartbeat listing one speaking session, as the runtime sends at least once a second;
 * dropped < 0 leaves the optional "dropped" count out. */
static inline void send_status_for(void *pub, const char *session, double time, double fps, int dropped)
{
	msgpack_sbuffer sb;
	msgpack_packer pk = begin_message(&sb, 3);
	pack_str(&pk, "time");
	msgpack_pack_double(&pk, time);
	pack_str(&pk, "sessions");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, dropped < 0 ? 3 : 4);
	pack_str(&pk, "session");
	pack_str(&pk, session);
	pack_str(&pk, "state");
	pack_str(&pk, "speaking");
	pack_str(&pk, "fps");
	msgpack_pack_double(&pk, fps);
	if (dropped >= 0) {
		pack_str(&pk, "dropped");
		msgpack_pack_uint32(&pk, (uint32_t)dropped);
	}
	zmq_send(pub, "status", 6, ZMQ_SNDMORE);
	zmq_send(pub, sb.data, sb.size, 0);
	msgpack_sbuffer_destroy(&sb);
}

/* A PUB socket that drops unsent messages on close; a CurveZMQ server where curve_secret
 * (Z85, 40 characters) is given. */
static inline void *new_pub(void *ctx, const char *curve_secret)
{
	void *pub = zmq_socket(ctx, ZMQ_PUB);
	int linger = 0;
	zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof(linger));
	if (curve_secret != NULL) {
		int one = 1;
		zmq_setsockopt(pub, ZMQ_CURVE_SERVER, &one, sizeof(one));
		zmq_setsockopt(pub, ZMQ_CURVE_SECRETKEY, curve_secret, 40);
	}
	return pub;
}

/* Binds pub to endpoint ("tcp://127.0.0.1:*" for a free port, or a restarted runtime's
 * old one, which may linger briefly: retried for up to 5 s) and writes the endpoint it
 * got into bound (when given). False, counted as a failed check, if it never binds. */
static inline bool bind_pub(void *pub, const char *endpoint, char *bound, size_t bound_size)
{
	int rc = -1;
	for (int i = 0; i < 50 && rc != 0; i++) {
		rc = zmq_bind(pub, endpoint);
		if (rc != 0)
			sleep_ms(100);
	}
	CHECK(rc == 0);
	if (bound != NULL) {
		bound[0] = '\0';
		zmq_getsockopt(pub, ZMQ_LAST_ENDPOINT, bound, &bound_size);
	}
	return rc == 0;
}

#endif
