/*
 * Frame header decoding and validation with msgpack-c. Every check happens before
 * any pixel is touched, so a hostile or truncated message is rejected with a code.
 */
#include "facecast_core.h"
#include "facecast_unpack.h"

#include <math.h>
#include <msgpack.h>
#include <string.h>

static const char *const ERROR_NAMES[FC_ERR_COUNT] = {
	"FC_OK",
	"FC_ERR_MSGPACK",
	"FC_ERR_NOT_MAP",
	"FC_ERR_VERSION",
	"FC_ERR_MISSING_FIELD",
	"FC_ERR_FIELD_TYPE",
	"FC_ERR_FORMAT",
	"FC_ERR_SIZE",
	"FC_ERR_STRIDE",
	"FC_ERR_PIXELS",
	"FC_ERR_TOPIC",
	"FC_ERR_PARTS",
	"FC_ERR_TIMESTAMP",
	"FC_ERR_TIMEOUT",
	"FC_ERR_ZMQ",
	"FC_ERR_NOMEM",
	"FC_ERR_ARGUMENT",
	"FC_ERR_SESSION",
	"FC_ERR_KEY",
};

static const char *const ERROR_MESSAGES[FC_ERR_COUNT] = {
	"ok",
	"frame header is not one complete msgpack value (truncated or corrupt)",
	"frame header is not a msgpack map",
	"frame header has no \"v\" or a protocol version this plugin does not read",
	"frame header lacks a required key",
	"frame header key has the wrong type",
	"pixel format is not RGBA or BGRA",
	"frame width or height is zero or too large",
	"frame stride is smaller than width*4 or too large",
	"pixel data size does not match height*stride",
	"topic does not match frame/<session>/ of the header",
	"frame message does not have 3 parts (topic, header, pixels)",
	"frame pts is not a finite, non-negative number of seconds",
	"no message within the receive timeout",
	"ZeroMQ call failed",
	"out of memory",
	"invalid argument",
	"session id is empty, too long or contains a slash",
	"server key is not a 40-character CurveZMQ public key (the public-key line of server.key)",
};

const char *fc_error_name(fc_error err)
{
	return (err >= 0 && err < FC_ERR_COUNT) ? ERROR_NAMES[err] : "FC_ERR_UNKNOWN";
}

const char *fc_error_message(fc_error err)
{
	return (err >= 0 && err < FC_ERR_COUNT) ? ERROR_MESSAGES[err] : "unknown error";
}

const char *fc_format_name(fc_pixel_format fmt)
{
	switch (fmt) {
	case FC_FORMAT_RGBA:
		return "RGBA";
	case FC_FORMAT_BGRA:
		return "BGRA";
	default:
		return "unknown";
	}
}

/* ---- typed field readers ---------------------------------------------------- */

static bool key_is(const msgpack_object *key, const char *name)
{
	size_t n = strlen(name);
	return key->type == MSGPACK_OBJECT_STR && key->via.str.size == n && memcmp(key->via.str.ptr, name, n) == 0;
}

static fc_error read_uint(const msgpack_object *o, uint64_t max, uint64_t *out)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return FC_ERR_FIELD_TYPE; /* msgpack encodes non-negative ints as positive */
	if (o->via.u64 > max)
		return FC_ERR_SIZE;
	*out = o->via.u64;
	return FC_OK;
}

static fc_error read_number(const msgpack_object *o, double *out)
{
	switch (o->type) {
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		*out = o->via.f64;
		return FC_OK;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		*out = (double)o->via.u64;
		return FC_OK;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*out = (double)o->via.i64;
		return FC_OK;
	default:
		return FC_ERR_FIELD_TYPE;
	}
}

static fc_error read_session(const msgpack_object *o, char *out)
{
	if (o->type != MSGPACK_OBJECT_STR)
		return FC_ERR_FIELD_TYPE;
	if (o->via.str.size == 0 || o->via.str.size >= FC_SESSION_MAX ||
	    memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
		return FC_ERR_SESSION;
	memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = '\0';
	return FC_OK;
}

static fc_error read_format(const msgpack_object *o, fc_pixel_format *out)
{
	if (o->type != MSGPACK_OBJECT_STR)
		return FC_ERR_FIELD_TYPE;
	if (key_is(o, "RGBA"))
		*out = FC_FORMAT_RGBA;
	else if (key_is(o, "BGRA"))
		*out = FC_FORMAT_BGRA;
	else
		return FC_ERR_FORMAT;
	return FC_OK;
}

enum {
	F_V = 1 << 0,
	F_SESSION = 1 << 1,
	F_SEQ = 1 << 2,
	F_PTS = 1 << 3,
	F_WIDTH = 1 << 4,
	F_HEIGHT = 1 << 5,
	F_FORMAT = 1 << 6,
	F_STRIDE = 1 << 7,
	F_ALL = (1 << 8) - 1,
};

static fc_error read_fields(const msgpack_object_map *map, fc_frame_header *h)
{
	unsigned seen = 0;
	for (uint32_t i = 0; i < map->size; i++) {
		const msgpack_object *k = &map->ptr[i].key;
		const msgpack_object *v = &map->ptr[i].val;
		fc_error err = FC_OK;
		uint64_t u = 0;
		if (key_is(k, "v")) {
			if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
				return FC_ERR_VERSION;
			if (v->via.u64 != FC_PROTOCOL_VERSION)
				return FC_ERR_VERSION;
			h->version = (uint32_t)v->via.u64;
			seen |= F_V;
		} else if (key_is(k, "session")) {
			err = read_session(v, h->session);
			seen |= F_SESSION;
		} else if (key_is(k, "seq")) {
			err = read_uint(v, UINT64_MAX, &h->seq);
			seen |= F_SEQ;
		} else if (key_is(k, "pts")) {
			err = read_number(v, &h->pts);
			seen |= F_PTS;
		} else if (key_is(k, "width")) {
			err = read_uint(v, FC_MAX_DIMENSION, &u);
			h->width = (uint32_t)u;
			seen |= F_WIDTH;
		} else if (key_is(k, "height")) {
			err = read_uint(v, FC_MAX_DIMENSION, &u);
			h->height = (uint32_t)u;
			seen |= F_HEIGHT;
		} else if (key_is(k, "stride")) {
			err = read_uint(v, UINT32_MAX, &u);
			if (err == FC_ERR_SIZE)
				err = FC_ERR_STRIDE;
			h->stride = (uint32_t)u;
			seen |= F_STRIDE;
		} else if (key_is(k, "format")) {
			err = read_format(v, &h->format);
			seen |= F_FORMAT;
		}
		/* any other key: ignored (additive protocol changes keep v=1) */
		if (err != FC_OK)
			return err;
	}
	if (!(seen & F_V))
		return FC_ERR_VERSION;
	return (seen & F_ALL) == F_ALL ? FC_OK : FC_ERR_MISSING_FIELD;
}

static fc_error validate(const fc_frame_header *h)
{
	if (h->width == 0 || h->height == 0)
		return FC_ERR_SIZE;
	if ((uint64_t)h->stride < (uint64_t)h->width * 4u || h->stride > (uint32_t)FC_MAX_DIMENSION * 4u * 2u)
		return FC_ERR_STRIDE;
	if (!isfinite(h->pts) || h->pts < 0.0)
		return FC_ERR_TIMESTAMP;
	return FC_OK;
}

fc_error fc_unpack_one(const void *data, size_t len, msgpack_unpacked *unpacked)
{
	msgpack_unpacked_init(unpacked);
	if (data == NULL || len == 0 || len > FC_MAX_HEADER_BYTES)
		return FC_ERR_MSGPACK;
	size_t offset = 0;
	msgpack_unpack_return ret = msgpack_unpack_next(unpacked, (const char *)data, len, &offset);
	if (ret == MSGPACK_UNPACK_NOMEM_ERROR)
		return FC_ERR_NOMEM;
	if (ret != MSGPACK_UNPACK_SUCCESS || offset != len)
		return FC_ERR_MSGPACK; /* truncated, corrupt, or trailing bytes */
	return FC_OK;
}

fc_error fc_decode_frame_header(const void *data, size_t len, fc_frame_header *out)
{
	if (out == NULL)
		return FC_ERR_ARGUMENT;
	memset(out, 0, sizeof(*out));

	msgpack_unpacked unpacked;
	fc_error err = fc_unpack_one(data, len, &unpacked);
	if (err == FC_OK)
		err = unpacked.data.type == MSGPACK_OBJECT_MAP ? read_fields(&unpacked.data.via.map, out)
							       : FC_ERR_NOT_MAP;
	msgpack_unpacked_destroy(&unpacked);

	if (err == FC_OK)
		err = validate(out);
	if (err != FC_OK)
		memset(out, 0, sizeof(*out));
	return err;
}

fc_error fc_check_frame_parts(const fc_frame_header *h, const void *topic, size_t topic_len, size_t pixels_len)
{
	if (h == NULL || (topic == NULL && topic_len > 0))
		return FC_ERR_ARGUMENT;
	const size_t prefix = sizeof(FC_TOPIC_FRAME) - 1;
	const size_t session_len = strlen(h->session);
	const char *t = (const char *)topic;
	if (topic_len != prefix + session_len + 1 || memcmp(t, FC_TOPIC_FRAME, prefix) != 0 ||
	    memcmp(t + prefix, h->session, session_len) != 0 || t[topic_len - 1] != '/')
		return FC_ERR_TOPIC;
	if ((uint64_t)pixels_len != (uint64_t)h->height * (uint64_t)h->stride)
		return FC_ERR_PIXELS;
	return FC_OK;
}

fc_error fc_decode_frame_message(const void *const *parts, const size_t *part_lens, size_t n_parts, fc_frame *out)
{
	if (parts == NULL || part_lens == NULL || out == NULL)
		return FC_ERR_ARGUMENT;
	memset(out, 0, sizeof(*out));
	if (n_parts != 3)
		return FC_ERR_PARTS;
	fc_error err = fc_decode_frame_header(parts[1], part_lens[1], &out->header);
	if (err == FC_OK)
		err = fc_check_frame_parts(&out->header, parts[0], part_lens[0], part_lens[2]);
	if (err != FC_OK) {
		memset(out, 0, sizeof(*out));
		return err;
	}
	out->pixels = (const uint8_t *)parts[2];
	out->pixels_len = part_lens[2];
	return FC_OK;
}

uint64_t fc_pts_to_ns(double pts)
{
	if (!isfinite(pts) || pts <= 0.0)
		return 0;
	if (pts >= 1.8e10) /* ~570 years: saturate instead of overflowing */
		return UINT64_MAX;
	return (uint64_t)llround(pts * 1e9);
}

fc_error fc_copy_pixels(const fc_frame *frame, uint8_t *dst, size_t dst_stride)
{
	if (frame == NULL || dst == NULL || frame->pixels == NULL)
		return FC_ERR_ARGUMENT;
	const fc_frame_header *h = &frame->header;
	const size_t row = (size_t)h->width * 4u;
	if (dst_stride < row || frame->pixels_len < (size_t)h->height * h->stride)
		return FC_ERR_ARGUMENT;
	if (dst_stride == h->stride) {
		memcpy(dst, frame->pixels, (size_t)h->height * h->stride);
		return FC_OK;
	}
	for (uint32_t y = 0; y < h->height; y++)
		memcpy(dst + (size_t)y * dst_stride, frame->pixels + (size_t)y * h->stride, row);
	return FC_OK;
}

/* ---- liveness ------------------------------------------------------------------ */

void fc_liveness_init(fc_liveness *l, uint64_t timeout_ns)
{
	l->timeout_ns = timeout_ns;
	l->last_frame_ns = 0;
	l->live = false;
}

void fc_liveness_frame(fc_liveness *l, uint64_t now_ns)
{
	l->last_frame_ns = now_ns;
	l->live = true;
}

bool fc_liveness_poll(fc_liveness *l, uint64_t now_ns)
{
	if (!l->live || now_ns < l->last_frame_ns || now_ns - l->last_frame_ns < l->timeout_ns)
		return false;
	l->live = false;
	return true;
}
