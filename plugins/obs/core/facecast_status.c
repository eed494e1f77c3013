/*
 * Decoding of the runtime's status heartbeat (docs/protocol.md, "status"). The plugin
 * uses it for its status line: it tells "the runtime is up but this session renders
 * nothing" apart from "no runtime at that endpoint".
 */
#include "facecast_core.h"
#include "facecast_unpack.h"

#include <msgpack.h>
#include <stdio.h>
#include <string.h>

static bool key_is(const msgpack_object *key, const char *name)
{
	size_t n = strlen(name);
	return key->type == MSGPACK_OBJECT_STR && key->via.str.size == n && memcmp(key->via.str.ptr, name, n) == 0;
}

static const msgpack_object *find(const msgpack_object *map, const char *name)
{
	for (uint32_t i = 0; i < map->via.map.size; i++)
		if (key_is(&map->via.map.ptr[i].key, name))
			return &map->via.map.ptr[i].val;
	return NULL;
}

static bool read_number(const msgpack_object *o, double *out)
{
	if (o == NULL)
		return false;
	switch (o->type) {
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		*out = o->via.f64;
		return true;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		*out = (double)o->via.u64;
		return true;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*out = (double)o->via.i64;
		return true;
	default:
		return false;
	}
}

/* Copies a str into a fixed buffer, truncating; false if o is not a str. */
static bool read_str(const msgpack_object *o, char *out, size_t size)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_STR)
		return false;
	size_t n = o->via.str.size < size - 1 ? o->via.str.size : size - 1;
	memcpy(out, o->via.str.ptr, n);
	out[n] = '\0';
	return true;
}

static bool str_equals(const msgpack_object *o, const char *s)
{
	return o != NULL && key_is(o, s);
}

static fc_error read_session(const msgpack_object *m, fc_session_status *out)
{
	const msgpack_object *o;
	memset(out, 0, sizeof(*out));
	if (m->type != MSGPACK_OBJECT_MAP)
		return FC_ERR_FIELD_TYPE;
	o = find(m, "session");
	if (o == NULL)
		return FC_ERR_MISSING_FIELD;
	if (o->type != MSGPACK_OBJECT_STR)
		return FC_ERR_FIELD_TYPE;
	if (o->via.str.size == 0 || o->via.str.size >= FC_SESSION_MAX)
		return FC_ERR_SESSION;
	read_str(o, out->session, sizeof(out->session));

	o = find(m, "state");
	if (str_equals(o, "speaking") || str_equals(o, "loading") || str_equals(o, "error"))
		read_str(o, out->state, sizeof(out->state));
	else
		snprintf(out->state, sizeof(out->state), "idle"); /* unknown states read as idle */
	o = find(m, "pose_only");
	out->pose_only = o != NULL && o->type == MSGPACK_OBJECT_BOOLEAN && o->via.boolean;
	read_number(find(m, "fps"), &out->fps);
	read_number(find(m, "queued_audio_s"), &out->queued_audio_s);
	o = find(m, "frames");
	if (o != NULL && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		out->frames = o->via.u64;
	o = find(m, "dropped");
	if (o != NULL && o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		out->dropped = o->via.u64;
	o = find(m, "error");
	if (o != NULL && o->type == MSGPACK_OBJECT_MAP) {
		if (!read_str(find(o, "code"), out->error_code, sizeof(out->error_code)))
			snprintf(out->error_code, sizeof(out->error_code), "internal");
		read_str(find(o, "message"), out->error_message, sizeof(out->error_message));
	}
	return FC_OK;
}

static fc_error read_status(const msgpack_object *root, const char *session, fc_status *out)
{
	if (root->type != MSGPACK_OBJECT_MAP)
		return FC_ERR_NOT_MAP;
	const msgpack_object *v = find(root, "v");
	if (v == NULL || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 != FC_PROTOCOL_VERSION)
		return FC_ERR_VERSION;
	const msgpack_object *time = find(root, "time");
	const msgpack_object *sessions = find(root, "sessions");
	if (time == NULL || sessions == NULL)
		return FC_ERR_MISSING_FIELD;
	if (!read_number(time, &out->time) || sessions->type != MSGPACK_OBJECT_ARRAY)
		return FC_ERR_FIELD_TYPE;
	out->n_sessions = sessions->via.array.size;
	for (uint32_t i = 0; i < sessions->via.array.size; i++) {
		fc_session_status entry;
		fc_error err = read_session(&sessions->via.array.ptr[i], &entry);
		if (err != FC_OK)
			return err;
		if (!out->found && (session == NULL || session[0] == '\0' || strcmp(session, entry.session) == 0)) {
			out->session = entry;
			out->found = true;
		}
	}
	return FC_OK;
}

fc_error fc_decode_status(const void *data, size_t len, const char *session, fc_status *out)
{
	if (out == NULL)
		return FC_ERR_ARGUMENT;
	memset(out, 0, sizeof(*out));
	msgpack_unpacked unpacked;
	fc_error err = fc_unpack_one(data, len, &unpacked);
	if (err == FC_OK)
		err = read_status(&unpacked.data, session, out);
	msgpack_unpacked_destroy(&unpacked);
	if (err != FC_OK)
		memset(out, 0, sizeof(*out));
	return err;
}
