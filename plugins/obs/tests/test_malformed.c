/* Malformed, truncated and borderline frame headers: each is rejected with its stable
 * error code (never a crash, never a half-filled header), and every encoding the
 * protocol allows (any int width, float32, int pts, unknown keys, any key order) is
 * accepted. Run under AddressSanitizer (FACECAST_SANITIZE=ON). */
#include <math.h>
#include <msgpack.h>

#include "test_util.h"

typedef enum { K_UINT, K_INT, K_F64, K_F32, K_STR, K_NIL, K_BOOL, K_BIN, K_ARRAY, K_MAP, K_UINT64 } kind;

typedef struct field {
	const char *key;
	kind k;
	int64_t i;
	double d;
	const char *s;
} field;

#define N_BASE 8
static const field BASE[N_BASE] = {
	{"v", K_UINT, 1, 0, NULL},       {"session", K_STR, 0, 0, "npc-1"}, {"seq", K_UINT, 7, 0, NULL},
	{"pts", K_F64, 0, 0.175, NULL},  {"width", K_UINT, 4, 0, NULL},     {"height", K_UINT, 2, 0, NULL},
	{"format", K_STR, 0, 0, "RGBA"}, {"stride", K_UINT, 16, 0, NULL},
};

static void pack_value(msgpack_packer *pk, const field *f)
{
	switch (f->k) {
	case K_UINT:
		msgpack_pack_uint64(pk, (uint64_t)f->i);
		break;
	case K_UINT64: /* force the 9-byte encoding */
		msgpack_pack_fix_uint64(pk, (uint64_t)f->i);
		break;
	case K_INT:
		msgpack_pack_int64(pk, f->i);
		break;
	case K_F64:
		msgpack_pack_double(pk, f->d);
		break;
	case K_F32:
		msgpack_pack_float(pk, (float)f->d);
		break;
	case K_STR:
		msgpack_pack_str_with_body(pk, f->s, strlen(f->s));
		break;
	case K_NIL:
		msgpack_pack_nil(pk);
		break;
	case K_BOOL:
		msgpack_pack_true(pk);
		break;
	case K_BIN:
		msgpack_pack_bin_with_body(pk, "RGBA", 4);
		break;
	case K_ARRAY:
		msgpack_pack_array(pk, 1);
		msgpack_pack_uint8(pk, 4);
		break;
	case K_MAP:
		msgpack_pack_map(pk, 0);
		break;
	}
}

static msgpack_sbuffer pack_fields(const field *fields, size_t n)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, n);
	for (size_t i = 0; i < n; i++) {
		msgpack_pack_str_with_body(&pk, fields[i].key, strlen(fields[i].key));
		pack_value(&pk, &fields[i]);
	}
	return sb;
}

/* Decodes BASE with field `index` replaced by `f` (or removed when f == NULL). */
static fc_error decode_variant(int index, const field *f, fc_frame_header *h)
{
	field fields[N_BASE];
	size_t n = 0;
	for (int i = 0; i < N_BASE; i++) {
		if (i != index)
			fields[n++] = BASE[i];
		else if (f != NULL)
			fields[n++] = *f;
	}
	msgpack_sbuffer sb = pack_fields(fields, n);
	fc_error err = fc_decode_frame_header(sb.data, sb.size, h);
	msgpack_sbuffer_destroy(&sb);
	return err;
}

static bool header_is_zero(const fc_frame_header *h)
{
	static const fc_frame_header zero;
	return memcmp(h, &zero, sizeof(zero)) == 0;
}

static void expect(int index, field f, fc_error expected)
{
	fc_frame_header h;
	fc_error got = decode_variant(index, &f, &h);
	if (got != expected) {
		fprintf(stderr, "field %s (kind %d, i=%lld, d=%g, s=%s): got %s, expected %s\n", f.key, (int)f.k,
			(long long)f.i, f.d, f.s ? f.s : "-", fc_error_name(got), fc_error_name(expected));
		test_failures++;
	}
	if (expected != FC_OK)
		CHECK(header_is_zero(&h));
}

static void rejected_fields(void)
{
	fc_frame_header h;
	for (int i = 0; i < N_BASE; i++) {
		fc_error want = i == 0 ? FC_ERR_VERSION : FC_ERR_MISSING_FIELD;
		CHECK_ERR(decode_variant(i, NULL, &h), want);
		CHECK(header_is_zero(&h));
	}
	expect(0, (field){"v", K_UINT, 2, 0, NULL}, FC_ERR_VERSION);
	expect(0, (field){"v", K_UINT, 0, 0, NULL}, FC_ERR_VERSION);
	expect(0, (field){"v", K_STR, 0, 0, "1"}, FC_ERR_VERSION);
	expect(1, (field){"session", K_STR, 0, 0, ""}, FC_ERR_SESSION);
	expect(1, (field){"session", K_UINT, 5, 0, NULL}, FC_ERR_FIELD_TYPE);
	expect(1, (field){"session", K_NIL, 0, 0, NULL}, FC_ERR_FIELD_TYPE);
	expect(1,
	       (field){"session", K_STR, 0, 0,
		       "a-session-id-that-is-far-longer-than-any-id-the-runtime-allows-and-longer-than-the-"
		       "buffer-of-one-hundred-and-twenty-eight-bytes-too"},
	       FC_ERR_SESSION);
	expect(2, (field){"seq", K_INT, -1, 0, NULL}, FC_ERR_FIELD_TYPE);
	expect(2, (field){"seq", K_F64, 0, 1.0, NULL}, FC_ERR_FIELD_TYPE);
	expect(3, (field){"pts", K_F64, 0, -0.5, NULL}, FC_ERR_TIMESTAMP);
	expect(3, (field){"pts", K_F64, 0, NAN, NULL}, FC_ERR_TIMESTAMP);
	expect(3, (field){"pts", K_F64, 0, INFINITY, NULL}, FC_ERR_TIMESTAMP);
	expect(3, (field){"pts", K_STR, 0, 0, "0.1"}, FC_ERR_FIELD_TYPE);
	expect(3, (field){"pts", K_NIL, 0, 0, NULL}, FC_ERR_FIELD_TYPE);
	expect(4, (field){"width", K_UINT, 0, 0, NULL}, FC_ERR_SIZE);
	expect(4, (field){"width", K_UINT, FC_MAX_DIMENSION + 1, 0, NULL}, FC_ERR_SIZE);
	expect(4, (field){"width", K_INT, -4, 0, NULL}, FC_ERR_FIELD_TYPE);
	expect(4, (field){"width", K_F64, 0, 4.0, NULL}, FC_ERR_FIELD_TYPE);
	expect(4, (field){"width", K_ARRAY, 0, 0, NULL}, FC_ERR_FIELD_TYPE);
	expect(5, (field){"height", K_UINT, 0, 0, NULL}, FC_ERR_SIZE);
	expect(5, (field){"height", K_UINT, (int64_t)1 << 40, 0, NULL}, FC_ERR_SIZE);
	expect(5, (field){"height", K_MAP, 0, 0, NULL}, FC_ERR_FIELD_TYPE);
	expect(6, (field){"format", K_STR, 0, 0, "RGB"}, FC_ERR_FORMAT);
	expect(6, (field){"format", K_STR, 0, 0, "rgba"}, FC_ERR_FORMAT);
	expect(6, (field){"format", K_STR, 0, 0, "RGBA\x01"}, FC_ERR_FORMAT);
	expect(6, (field){"format", K_BIN, 0, 0, NULL}, FC_ERR_FIELD_TYPE);
	expect(7, (field){"stride", K_UINT, 15, 0, NULL}, FC_ERR_STRIDE);
	expect(7, (field){"stride", K_UINT, 0, 0, NULL}, FC_ERR_STRIDE);
	expect(7, (field){"stride", K_UINT, (int64_t)1 << 33, 0, NULL}, FC_ERR_STRIDE);
	expect(7, (field){"stride", K_UINT, FC_MAX_DIMENSION * 8 + 4, 0, NULL}, FC_ERR_STRIDE);
	expect(7, (field){"stride", K_BOOL, 0, 0, NULL}, FC_ERR_FIELD_TYPE);
}

static void accepted_encodings(void)
{
	/* any int width, int or float32 pts, a wider stride */
	expect(2, (field){"seq", K_UINT64, 7, 0, NULL}, FC_OK);
	expect(4, (field){"width", K_UINT64, 4, 0, NULL}, FC_OK);
	expect(3, (field){"pts", K_F32, 0, 0.25, NULL}, FC_OK);
	expect(3, (field){"pts", K_UINT, 3, 0, NULL}, FC_OK);
	expect(3, (field){"pts", K_F64, 0, 0.0, NULL}, FC_OK);
	expect(7, (field){"stride", K_UINT, 64, 0, NULL}, FC_OK);
	expect(6, (field){"format", K_STR, 0, 0, "BGRA"}, FC_OK);
	expect(2, (field){"seq", K_UINT, (int64_t)(UINT64_MAX >> 1), 0, NULL}, FC_OK);

	/* unknown keys are ignored, key order does not matter */
	field fields[N_BASE + 2];
	for (int i = 0; i < N_BASE; i++)
		fields[N_BASE - 1 - i] = BASE[i];
	fields[N_BASE] = (field){"future_key", K_MAP, 0, 0, NULL};
	fields[N_BASE + 1] = (field){"watermark", K_STR, 0, 0, "facecast"};
	msgpack_sbuffer sb = pack_fields(fields, N_BASE + 2);
	fc_frame_header h;
	CHECK_ERR(fc_decode_frame_header(sb.data, sb.size, &h), FC_OK);
	CHECK_STR(h.session, "npc-1");
	CHECK_EQ_U64(h.seq, 7);
	CHECK_EQ_U64(h.stride, 16);
	CHECK(h.pts == 0.175);

	/* float32 pts is widened, not misread */
	expect(3, (field){"pts", K_F32, 0, 1.5, NULL}, FC_OK);
	field f32 = {"pts", K_F32, 0, 1.5, NULL};
	CHECK_ERR(decode_variant(3, &f32, &h), FC_OK);
	CHECK(h.pts == 1.5);
	msgpack_sbuffer_destroy(&sb);
}

static void broken_bytes(void)
{
	blob b = read_fixture("frame_header.msgpack");
	fc_frame_header h;
	/* every strict prefix is truncated msgpack */
	for (size_t n = 0; n < b.len; n++) {
		unsigned char *copy = malloc(n ? n : 1); /* exact-size copy: ASan sees any over-read */
		memcpy(copy, b.data, n);
		fc_error err = fc_decode_frame_header(copy, n, &h);
		if (err != FC_ERR_MSGPACK) {
			fprintf(stderr, "prefix of %zu bytes: %s\n", n, fc_error_name(err));
			test_failures++;
		}
		CHECK(header_is_zero(&h));
		free(copy);
	}
	/* trailing bytes after the map */
	unsigned char *longer = malloc(b.len + 1);
	memcpy(longer, b.data, b.len);
	longer[b.len] = 0xc0;
	CHECK_ERR(fc_decode_frame_header(longer, b.len + 1, &h), FC_ERR_MSGPACK);
	free(longer);
	/* valid msgpack that is not a map */
	const unsigned char array[] = {0x92, 0x01, 0x02}, str[] = {0xa1, 'v'}, nil[] = {0xc0};
	CHECK_ERR(fc_decode_frame_header(array, sizeof(array), &h), FC_ERR_NOT_MAP);
	CHECK_ERR(fc_decode_frame_header(str, sizeof(str), &h), FC_ERR_NOT_MAP);
	CHECK_ERR(fc_decode_frame_header(nil, sizeof(nil), &h), FC_ERR_NOT_MAP);
	/* reserved byte 0xc1 is never valid msgpack */
	const unsigned char reserved[] = {0x81, 0xa1, 'v', 0xc1};
	CHECK_ERR(fc_decode_frame_header(reserved, sizeof(reserved), &h), FC_ERR_MSGPACK);
	/* containers that claim more elements than there are bytes: msgpack-c reserves room
	 * for the claimed count first, so a 5-byte message asks for ~200 GB; that allocation
	 * fails (FC_ERR_NOMEM) or the data runs out (FC_ERR_MSGPACK), never a crash.
	 * (ctest runs this with ASAN_OPTIONS=allocator_may_return_null=1, as glibc behaves.) */
	const unsigned char huge_map[] = {0xdf, 0xff, 0xff, 0xff, 0xff};
	const unsigned char huge_array[] = {0x81, 0xa1, 'v', 0xdd, 0x00, 0x10, 0x00, 0x00};
	const unsigned char huge_str[] = {0x81, 0xdb, 0xff, 0xff, 0xff, 0xf0, 'v'};
	fc_error err = fc_decode_frame_header(huge_map, sizeof(huge_map), &h);
	CHECK(err == FC_ERR_MSGPACK || err == FC_ERR_NOMEM);
	CHECK_ERR(fc_decode_frame_header(huge_array, sizeof(huge_array), &h), FC_ERR_MSGPACK);
	CHECK_ERR(fc_decode_frame_header(huge_str, sizeof(huge_str), &h), FC_ERR_MSGPACK);
	/* deep nesting */
	unsigned char deep[4096];
	memset(deep, 0x91, sizeof(deep));
	deep[sizeof(deep) - 1] = 0x01;
	err = fc_decode_frame_header(deep, sizeof(deep), &h);
	if (err != FC_ERR_MSGPACK && err != FC_ERR_NOMEM) { /* msgpack-c: nesting over its stack */
		fprintf(stderr, "deep nesting: %s\n", fc_error_name(err));
		test_failures++;
	}
	/* NULL / empty / oversized */
	CHECK_ERR(fc_decode_frame_header(NULL, 10, &h), FC_ERR_MSGPACK);
	CHECK_ERR(fc_decode_frame_header(b.data, 0, &h), FC_ERR_MSGPACK);
	CHECK_ERR(fc_decode_frame_header(b.data, b.len, NULL), FC_ERR_ARGUMENT);
	CHECK_ERR(fc_decode_frame_header(b.data, (size_t)FC_MAX_HEADER_BYTES + 1, &h), FC_ERR_MSGPACK);
	free(b.data);
}

static void parts_checks(void)
{
	blob header = read_fixture("frame_header.msgpack");
	fc_frame_header h;
	CHECK_ERR(fc_decode_frame_header(header.data, header.len, &h), FC_OK);
	CHECK_ERR(fc_check_frame_parts(&h, "frame/npc-1/", 12, 32), FC_OK);
	CHECK_ERR(fc_check_frame_parts(&h, "frame/npc-1/", 12, 31), FC_ERR_PIXELS);
	CHECK_ERR(fc_check_frame_parts(&h, "frame/npc-1/", 12, 33), FC_ERR_PIXELS);
	CHECK_ERR(fc_check_frame_parts(&h, "frame/npc-1/", 12, 0), FC_ERR_PIXELS);
	CHECK_ERR(fc_check_frame_parts(&h, "frame/npc-10/", 13, 32), FC_ERR_TOPIC);
	CHECK_ERR(fc_check_frame_parts(&h, "frame/npc-1", 11, 32), FC_ERR_TOPIC);
	CHECK_ERR(fc_check_frame_parts(&h, "pose/npc-1/", 11, 32), FC_ERR_TOPIC);
	CHECK_ERR(fc_check_frame_parts(&h, "frame/npc-2/", 12, 32), FC_ERR_TOPIC);
	CHECK_ERR(fc_check_frame_parts(&h, "", 0, 32), FC_ERR_TOPIC);
	CHECK_ERR(fc_check_frame_parts(&h, NULL, 0, 32), FC_ERR_TOPIC);

	fc_frame f;
	const void *parts[4] = {"frame/npc-1/", header.data, "0123456789abcdef0123456789abcdef", "x"};
	size_t lens[4] = {12, header.len, 32, 1};
	CHECK_ERR(fc_decode_frame_message(parts, lens, 3, &f), FC_OK);
	CHECK_ERR(fc_decode_frame_message(parts, lens, 4, &f), FC_ERR_PARTS);
	CHECK_ERR(fc_decode_frame_message(parts, lens, 1, &f), FC_ERR_PARTS);
	CHECK_ERR(fc_decode_frame_message(parts, lens, 0, &f), FC_ERR_PARTS);
	CHECK(f.pixels == NULL && f.pixels_len == 0);
	CHECK_ERR(fc_decode_frame_message(NULL, lens, 3, &f), FC_ERR_ARGUMENT);
	free(header.data);
}

static void status_rejections(void)
{
	fc_status st;
	const unsigned char not_map[] = {0x90};
	CHECK_ERR(fc_decode_status(not_map, sizeof(not_map), NULL, &st), FC_ERR_NOT_MAP);
	field no_sessions[2] = {{"v", K_UINT, 1, 0, NULL}, {"time", K_F64, 0, 1.0, NULL}};
	msgpack_sbuffer sb = pack_fields(no_sessions, 2);
	CHECK_ERR(fc_decode_status(sb.data, sb.size, NULL, &st), FC_ERR_MISSING_FIELD);
	msgpack_sbuffer_destroy(&sb);
	field wrong_v[3] = {
		{"v", K_UINT, 9, 0, NULL}, {"time", K_F64, 0, 1.0, NULL}, {"sessions", K_ARRAY, 0, 0, NULL}};
	sb = pack_fields(wrong_v, 3);
	CHECK_ERR(fc_decode_status(sb.data, sb.size, NULL, &st), FC_ERR_VERSION);
	msgpack_sbuffer_destroy(&sb);
	/* sessions holding something other than maps */
	field bad_list[3] = {
		{"v", K_UINT, 1, 0, NULL}, {"time", K_F64, 0, 1.0, NULL}, {"sessions", K_ARRAY, 0, 0, NULL}};
	sb = pack_fields(bad_list, 3);
	CHECK_ERR(fc_decode_status(sb.data, sb.size, NULL, &st), FC_ERR_FIELD_TYPE);
	msgpack_sbuffer_destroy(&sb);

	blob b = read_fixture("status.msgpack");
	for (size_t n = 0; n < b.len; n++)
		CHECK_ERR(fc_decode_status(b.data, n, NULL, &st), FC_ERR_MSGPACK);
	free(b.data);
}

static void error_names_are_stable(void)
{
	CHECK_STR(fc_error_name(FC_OK), "FC_OK");
	CHECK_STR(fc_error_name(FC_ERR_PIXELS), "FC_ERR_PIXELS");
	CHECK_STR(fc_error_name(FC_ERR_SESSION), "FC_ERR_SESSION");
	CHECK_STR(fc_error_name((fc_error)999), "FC_ERR_UNKNOWN");
	CHECK_EQ_U64(FC_ERR_PIXELS, 9);
	CHECK_EQ_U64(FC_ERR_TIMEOUT, 13);
	for (int e = 0; e < FC_ERR_COUNT; e++)
		CHECK(strlen(fc_error_message((fc_error)e)) > 0 && strncmp(fc_error_name((fc_error)e), "FC_", 3) == 0);
}

static void liveness(void)
{
	fc_liveness l;
	fc_liveness_init(&l, 1000);
	CHECK(!fc_liveness_poll(&l, 5000)); /* never live: nothing to clear */
	fc_liveness_frame(&l, 10000);
	CHECK(!fc_liveness_poll(&l, 10999));
	CHECK(fc_liveness_poll(&l, 11000)); /* stale: clear once */
	CHECK(!fc_liveness_poll(&l, 12000));
	fc_liveness_frame(&l, 13000);
	CHECK(!fc_liveness_poll(&l, 12500)); /* clock went backwards: not stale */
	CHECK(fc_liveness_poll(&l, 20000));
	CHECK_EQ_U64(fc_pts_to_ns(-1.0), 0);
	CHECK_EQ_U64(fc_pts_to_ns(NAN), 0);
	CHECK_EQ_U64(fc_pts_to_ns(2.5), 2500000000ULL);
	CHECK_EQ_U64(fc_pts_to_ns(1e300), UINT64_MAX);
}

int main(void)
{
	rejected_fields();
	accepted_encodings();
	broken_bytes();
	parts_checks();
	status_rejections();
	error_names_are_stable();
	liveness();
	return TEST_RESULT();
}
