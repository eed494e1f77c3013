/* The golden protocol fixtures (docs/protocol/fixtures, README there) decode to the
 * documented values, exactly as the Python and C# tests read them. */
#include "test_util.h"

static const char *RGBA_HEX = "ff0000ff00ff00ff0000ffffffffff80000000000a141e28323c46ffc8643200";
static const char *BGRA_HEX = "0000ffff00ff00ffff0000ffffffff80000000001e140a28463c32ff3264c800";

static void check_frame(const char *prefix, uint64_t seq, double pts, fc_pixel_format fmt, const char *hex)
{
	char name[128];
	snprintf(name, sizeof(name), "%s_topic.bin", prefix);
	blob topic = read_fixture(name);
	snprintf(name, sizeof(name), "%s_header.msgpack", prefix);
	blob header = read_fixture(name);
	snprintf(name, sizeof(name), "%s_pixels.bin", prefix);
	blob pixels = read_fixture(name);

	const void *parts[3] = {topic.data, header.data, pixels.data};
	size_t lens[3] = {topic.len, header.len, pixels.len};
	fc_frame f;
	CHECK_ERR(fc_decode_frame_message(parts, lens, 3, &f), FC_OK);
	CHECK_EQ_U64(f.header.version, 1);
	CHECK_STR(f.header.session, "npc-1");
	CHECK_EQ_U64(f.header.seq, seq);
	CHECK(f.header.pts == pts); /* exact: the fixture holds the float64 nearest the literal */
	CHECK_EQ_U64(f.header.width, 4);
	CHECK_EQ_U64(f.header.height, 2);
	CHECK_EQ_U64(f.header.stride, 16);
	CHECK(f.header.format == fmt);
	CHECK_EQ_U64(f.pixels_len, 32);

	unsigned char expected[32];
	CHECK_EQ_U64(from_hex(hex, expected, sizeof(expected)), 32);
	CHECK(f.pixels != NULL && memcmp(f.pixels, expected, 32) == 0);
	CHECK_EQ_U64(fc_pts_to_ns(f.header.pts), (uint64_t)(pts * 1e9 + 0.5));

	/* copying into a wider destination (as OBS may) keeps every row and leaves padding alone */
	unsigned char dst[2 * 24];
	memset(dst, 0xAB, sizeof(dst));
	CHECK_ERR(fc_copy_pixels(&f, dst, 24), FC_OK);
	CHECK(memcmp(dst, expected, 16) == 0 && memcmp(dst + 24, expected + 16, 16) == 0);
	CHECK(dst[16] == 0xAB && dst[23] == 0xAB && dst[40] == 0xAB);
	CHECK_ERR(fc_copy_pixels(&f, dst, 12), FC_ERR_ARGUMENT);

	/* the header alone decodes the same */
	fc_frame_header h;
	CHECK_ERR(fc_decode_frame_header(header.data, header.len, &h), FC_OK);
	CHECK(memcmp(&h, &f.header, sizeof(h)) == 0);
	free(topic.data);
	free(header.data);
	free(pixels.data);
}

static void check_status(void)
{
	blob topic = read_fixture("status_topic.bin");
	CHECK(topic.len == 6 && memcmp(topic.data, FC_TOPIC_STATUS, 6) == 0);
	blob b = read_fixture("status.msgpack");
	fc_status st;
	CHECK_ERR(fc_decode_status(b.data, b.len, NULL, &st), FC_OK);
	CHECK(st.time == 1700000000.25);
	CHECK_EQ_U64(st.n_sessions, 2);
	CHECK(st.found);
	CHECK_STR(st.session.session, "npc-1");
	CHECK_STR(st.session.state, "speaking");
	CHECK(!st.session.pose_only);
	CHECK(st.session.fps == 40.0);
	CHECK(st.session.queued_audio_s == 1.5);
	CHECK_EQ_U64(st.session.frames, 120);
	CHECK_EQ_U64(st.session.dropped, 2);
	CHECK_STR(st.session.error_code, "");

	CHECK_ERR(fc_decode_status(b.data, b.len, "npc-2", &st), FC_OK);
	CHECK(st.found);
	CHECK_STR(st.session.state, "error");
	CHECK(st.session.pose_only);
	CHECK_STR(st.session.error_code, "bad_audio");
	CHECK_STR(st.session.error_message, "cannot decode line2.ogg");

	CHECK_ERR(fc_decode_status(b.data, b.len, "npc-3", &st), FC_OK);
	CHECK(!st.found);
	CHECK_EQ_U64(st.n_sessions, 2);
	free(topic.data);
	free(b.data);
}

/* Other message kinds are not frames: rejected with a code, never misread. */
static void check_other_messages_are_not_frames(void)
{
	const char *names[] = {"pose_header.msgpack", "status.msgpack", "reply_open.msgpack", "request_open.msgpack"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		blob b = read_fixture(names[i]);
		fc_frame_header h;
		CHECK_ERR(fc_decode_frame_header(b.data, b.len, &h), FC_ERR_MISSING_FIELD);
		CHECK_EQ_U64(h.width, 0);
		free(b.data);
	}
	/* a pose topic with a frame header is caught by the topic check */
	blob topic = read_fixture("pose_topic.bin");
	blob header = read_fixture("frame_header.msgpack");
	blob pixels = read_fixture("frame_pixels.bin");
	const void *parts[3] = {topic.data, header.data, pixels.data};
	size_t lens[3] = {topic.len, header.len, pixels.len};
	fc_frame f;
	CHECK_ERR(fc_decode_frame_message(parts, lens, 3, &f), FC_ERR_TOPIC);
	CHECK(f.pixels == NULL);
	CHECK_ERR(fc_decode_frame_message(parts, lens, 2, &f), FC_ERR_PARTS);
	free(topic.data);
	free(header.data);
	free(pixels.data);
}

int main(void)
{
	check_frame("frame", 7, 0.175, FC_FORMAT_RGBA, RGBA_HEX);
	check_frame("frame_bgra", 8, 0.2, FC_FORMAT_BGRA, BGRA_HEX);
	check_status();
	check_other_messages_are_not_frames();
	return TEST_RESULT();
}
