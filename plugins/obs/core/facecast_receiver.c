/*
 * The ZeroMQ side of the core: a SUB socket on the runtime's data endpoint.
 * ZeroMQ reconnects by itself when the runtime restarts; a small receive high-water
 * mark keeps at most a couple of frames queued so a slow consumer sees fresh
 * pictures, and the receive timeout lets the owning thread notice its stop flag.
 */
#include "facecast_core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define MAX_PARTS 3

struct fc_receiver {
	void *context;
	void *socket;
	/* two message slots: `cur` holds the frame last returned, the other one is used to
	 * look ahead for a newer frame (latest_only) */
	zmq_msg_t slots[2][MAX_PARTS];
	size_t n_parts[2];
	int cur;
	bool latest_only;
	bool has_pending_status; /* a status seen while looking ahead, returned next */
	fc_status pending_status;
	int last_zmq_errno;
	char session[FC_SESSION_MAX];
	char subscription[FC_SESSION_MAX + 8];
	char last_session[FC_SESSION_MAX];
	uint64_t last_seq;
	bool seen_frame;
	fc_receiver_stats stats;
};

void fc_receiver_options_default(fc_receiver_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->endpoint = "tcp://127.0.0.1:5556";
	opts->session = "";
	opts->receive_timeout_ms = 100;
	opts->high_water_mark = 4;
	opts->reconnect_ms = 200;
	opts->latest_only = true;
	opts->status = true;
}

static fc_error zmq_failed(fc_receiver *r)
{
	r->last_zmq_errno = zmq_errno();
	return FC_ERR_ZMQ;
}

static fc_error set_int(fc_receiver *r, int option, int value)
{
	return zmq_setsockopt(r->socket, option, &value, sizeof(value)) == 0 ? FC_OK : zmq_failed(r);
}

static fc_error subscribe(fc_receiver *r, const char *topic)
{
	return zmq_setsockopt(r->socket, ZMQ_SUBSCRIBE, topic, strlen(topic)) == 0 ? FC_OK : zmq_failed(r);
}

/* CurveZMQ client: the runtime's public key and a fresh key pair of our own (the
 * runtime accepts any client key unless it keeps an allow-list). */
static fc_error set_curve(fc_receiver *r, const char *server_key)
{
	if (strlen(server_key) != 40)
		return FC_ERR_KEY;
	uint8_t decoded[32];
	if (zmq_z85_decode(decoded, server_key) == NULL)
		return FC_ERR_KEY;
	if (!zmq_has("curve")) {
		r->last_zmq_errno = ENOTSUP;
		return FC_ERR_ZMQ;
	}
	char public_key[41], secret_key[41];
	if (zmq_curve_keypair(public_key, secret_key) != 0)
		return zmq_failed(r);
	fc_error err = FC_OK;
	if (zmq_setsockopt(r->socket, ZMQ_CURVE_SERVERKEY, server_key, 40) != 0 ||
	    zmq_setsockopt(r->socket, ZMQ_CURVE_PUBLICKEY, public_key, 40) != 0 ||
	    zmq_setsockopt(r->socket, ZMQ_CURVE_SECRETKEY, secret_key, 40) != 0)
		err = zmq_failed(r);
	memset(secret_key, 0, sizeof(secret_key));
	return err;
}

static fc_error configure(fc_receiver *r, const fc_receiver_options *o)
{
	int reconnect = o->reconnect_ms > 0 ? o->reconnect_ms : 200;
	int64_t max_message = (int64_t)FC_MAX_DIMENSION * FC_MAX_DIMENSION * 8 + FC_MAX_HEADER_BYTES;
	fc_error err = set_int(r, ZMQ_RCVHWM, o->high_water_mark > 0 ? o->high_water_mark : 4);
	if (err == FC_OK)
		err = set_int(r, ZMQ_RCVTIMEO, o->receive_timeout_ms >= 0 ? o->receive_timeout_ms : 100);
	if (err == FC_OK)
		err = set_int(r, ZMQ_LINGER, 0);
	if (err == FC_OK)
		err = set_int(r, ZMQ_RECONNECT_IVL, reconnect);
	if (err == FC_OK)
		err = set_int(r, ZMQ_RECONNECT_IVL_MAX, reconnect > 2000 ? reconnect : 2000);
	if (err == FC_OK && zmq_setsockopt(r->socket, ZMQ_MAXMSGSIZE, &max_message, sizeof(max_message)) != 0)
		err = zmq_failed(r);
	if (err == FC_OK && o->server_key != NULL && o->server_key[0] != '\0')
		err = set_curve(r, o->server_key);
	if (err == FC_OK)
		err = subscribe(r, r->subscription);
	if (err == FC_OK && o->status)
		err = subscribe(r, FC_TOPIC_STATUS);
	if (err == FC_OK && zmq_connect(r->socket, o->endpoint) != 0)
		err = zmq_failed(r);
	return err;
}

static bool valid_session(const char *session)
{
	return strlen(session) < FC_SESSION_MAX && strchr(session, '/') == NULL;
}

/* "frame/<session>/" for one session, "frame/" for all of them */
static void set_topic(fc_receiver *r, const char *session)
{
	snprintf(r->session, sizeof(r->session), "%s", session);
	if (session[0] != '\0')
		snprintf(r->subscription, sizeof(r->subscription), "%s%s/", FC_TOPIC_FRAME, session);
	else
		snprintf(r->subscription, sizeof(r->subscription), "%s", FC_TOPIC_FRAME);
}

fc_error fc_receiver_create(const fc_receiver_options *opts, fc_receiver **out)
{
	if (out == NULL)
		return FC_ERR_ARGUMENT;
	*out = NULL;
	if (opts == NULL || opts->endpoint == NULL || opts->endpoint[0] == '\0')
		return FC_ERR_ARGUMENT;
	const char *session = opts->session ? opts->session : "";
	if (!valid_session(session))
		return FC_ERR_SESSION;

	fc_receiver *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return FC_ERR_NOMEM;
	r->latest_only = opts->latest_only;
	set_topic(r, session);

	fc_error err = FC_OK;
	r->context = zmq_ctx_new();
	if (r->context == NULL)
		err = zmq_failed(r);
	if (err == FC_OK) {
		r->socket = zmq_socket(r->context, ZMQ_SUB);
		if (r->socket == NULL)
			err = zmq_failed(r);
	}
	if (err == FC_OK)
		err = configure(r, opts);
	if (err != FC_OK) {
		int saved = r->last_zmq_errno;
		fc_receiver_destroy(r);
		errno = saved; /* for zmq_strerror(errno) in the caller */
		return err;
	}
	*out = r;
	return FC_OK;
}

static void release(fc_receiver *r, int slot)
{
	for (size_t i = 0; i < r->n_parts[slot]; i++)
		zmq_msg_close(&r->slots[slot][i]);
	r->n_parts[slot] = 0;
}

void fc_receiver_destroy(fc_receiver *r)
{
	if (r == NULL)
		return;
	release(r, 0);
	release(r, 1);
	if (r->socket != NULL)
		zmq_close(r->socket);
	if (r->context != NULL)
		zmq_ctx_term(r->context);
	free(r);
}

/* Reads one whole multipart message into a slot; parts beyond MAX_PARTS are drained
 * and only counted (the message is then rejected by its part count). */
static fc_error receive_into(fc_receiver *r, int slot, int flags, size_t *total_parts)
{
	*total_parts = 0;
	for (;;) {
		zmq_msg_t scratch;
		zmq_msg_t *msg = r->n_parts[slot] < MAX_PARTS ? &r->slots[slot][r->n_parts[slot]] : &scratch;
		zmq_msg_init(msg);
		if (zmq_msg_recv(msg, r->socket, *total_parts == 0 ? flags : 0) < 0) {
			int e = zmq_errno();
			zmq_msg_close(msg);
			release(r, slot);
			if (*total_parts == 0 && (e == EAGAIN || e == EINTR))
				return FC_ERR_TIMEOUT;
			r->last_zmq_errno = e;
			return FC_ERR_ZMQ;
		}
		(*total_parts)++;
		int more = zmq_msg_more(msg);
		if (msg == &scratch)
			zmq_msg_close(msg);
		else
			r->n_parts[slot]++;
		if (!more)
			return FC_OK;
	}
}

static bool is_status_topic(const zmq_msg_t *topic)
{
	const size_t n = sizeof(FC_TOPIC_STATUS) - 1;
	return zmq_msg_size((zmq_msg_t *)topic) == n &&
	       memcmp(zmq_msg_data((zmq_msg_t *)topic), FC_TOPIC_STATUS, n) == 0;
}

/* Decodes the message in a slot as a frame or a status heartbeat. */
static fc_error decode_slot(fc_receiver *r, int slot, size_t total_parts, fc_message *msg)
{
	memset(msg, 0, sizeof(*msg));
	zmq_msg_t *parts = r->slots[slot];
	if (total_parts >= 1 && is_status_topic(&parts[0])) {
		if (total_parts != 2)
			return FC_ERR_PARTS;
		fc_error err =
			fc_decode_status(zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]), r->session, &msg->status);
		if (err == FC_OK)
			msg->kind = FC_MESSAGE_STATUS;
		return err;
	}
	if (total_parts != 3)
		return FC_ERR_PARTS;
	const void *data[MAX_PARTS];
	size_t lens[MAX_PARTS];
	for (size_t i = 0; i < MAX_PARTS; i++) {
		data[i] = zmq_msg_data(&parts[i]);
		lens[i] = zmq_msg_size(&parts[i]);
	}
	fc_error err = fc_decode_frame_message(data, lens, MAX_PARTS, &msg->frame);
	if (err != FC_OK)
		return err;
	if (r->session[0] != '\0' && strcmp(msg->frame.header.session, r->session) != 0)
		memset(msg, 0, sizeof(*msg)); /* another session's frame, queued before a switch: FC_MESSAGE_NONE */
	else
		msg->kind = FC_MESSAGE_FRAME;
	return FC_OK;
}

/* Counts seq gaps over every valid frame, including those skipped for a newer one. */
static void track_seq(fc_receiver *r, const fc_frame_header *h)
{
	if (r->seen_frame && strcmp(h->session, r->last_session) == 0 && h->seq != r->last_seq + 1)
		r->stats.seq_gaps++;
	memcpy(r->last_session, h->session, sizeof(r->last_session));
	r->last_seq = h->seq;
	r->seen_frame = true;
}

/* With a frame in `cur`, takes every message already queued: a newer valid frame
 * replaces it, a status is kept for the next call, garbage is counted. */
static void skip_to_latest(fc_receiver *r, fc_message *msg)
{
	for (;;) {
		const int other = 1 - r->cur;
		size_t total = 0;
		if (receive_into(r, other, ZMQ_DONTWAIT, &total) != FC_OK)
			return;
		fc_message next;
		fc_error err = decode_slot(r, other, total, &next);
		if (err != FC_OK) {
			r->stats.rejected++;
			release(r, other);
		} else if (next.kind == FC_MESSAGE_NONE) {
			release(r, other);
		} else if (next.kind == FC_MESSAGE_STATUS) {
			r->stats.statuses++;
			r->pending_status = next.status;
			r->has_pending_status = true;
			release(r, other);
		} else {
			track_seq(r, &next.frame.header);
			r->stats.skipped++;
			release(r, r->cur);
			r->cur = other;
			*msg = next;
		}
	}
}

fc_error fc_receiver_next(fc_receiver *r, fc_message *msg)
{
	if (r == NULL || msg == NULL)
		return FC_ERR_ARGUMENT;
	memset(msg, 0, sizeof(*msg));
	release(r, r->cur);
	if (r->has_pending_status) {
		r->has_pending_status = false;
		msg->kind = FC_MESSAGE_STATUS;
		msg->status = r->pending_status;
		return FC_OK;
	}

	size_t total = 0;
	fc_error err = receive_into(r, r->cur, 0, &total);
	if (err != FC_OK)
		return err; /* FC_ERR_TIMEOUT or FC_ERR_ZMQ */
	err = decode_slot(r, r->cur, total, msg);
	if (err != FC_OK) {
		release(r, r->cur);
		r->stats.rejected++;
		return err;
	}
	if (msg->kind == FC_MESSAGE_NONE) {
		release(r, r->cur);
		return FC_ERR_TIMEOUT; /* nothing for this subscription */
	}
	if (msg->kind == FC_MESSAGE_STATUS) {
		release(r, r->cur);
		r->stats.statuses++;
		return FC_OK;
	}
	track_seq(r, &msg->frame.header);
	if (r->latest_only)
		skip_to_latest(r, msg);
	r->stats.frames++;
	return FC_OK;
}

fc_error fc_receiver_set_session(fc_receiver *r, const char *session)
{
	if (r == NULL)
		return FC_ERR_ARGUMENT;
	if (session == NULL)
		session = "";
	if (!valid_session(session))
		return FC_ERR_SESSION;
	if (strcmp(session, r->session) == 0)
		return FC_OK;
	char old[sizeof(r->subscription)];
	memcpy(old, r->subscription, sizeof(old));
	set_topic(r, session);
	/* subscribe first, then drop the old topic: no moment without a subscription */
	fc_error err = subscribe(r, r->subscription);
	if (err == FC_OK && zmq_setsockopt(r->socket, ZMQ_UNSUBSCRIBE, old, strlen(old)) != 0)
		err = zmq_failed(r);
	return err;
}

int fc_receiver_last_zmq_error(const fc_receiver *r)
{
	return r ? r->last_zmq_errno : 0;
}

const char *fc_receiver_last_zmq_message(const fc_receiver *r)
{
	return zmq_strerror(r ? r->last_zmq_errno : 0);
}

void fc_receiver_get_stats(const fc_receiver *r, fc_receiver_stats *out)
{
	if (r != NULL && out != NULL)
		*out = r->stats;
}
