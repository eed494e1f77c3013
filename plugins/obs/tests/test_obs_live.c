/* What a streamer sees: the built module inside a real libobs, its "facecast" source
 * pointed at a real `facecast serve` (live_helper.py --mode obs starts it, opens a
 * session with a transparent background, pushes speech, and stops the service when
 * told). Checks that OBS gets frames of the session's size and format with a
 * see-through background and an opaque face, timestamps that advance, and that the
 * picture is cleared when the runtime goes away. Lines on stdout drive the helper:
 * READY, SHOWN, CLEARED.
 * usage: test_obs_live MODULE DATA_DIR ENDPOINT SESSION SIZE FORMAT */
#define _POSIX_C_SOURCE 200809L
#include <util/platform.h>

#include "obs_test_util.h"

static void say(const char *line)
{
	printf("%s\n", line);
	fflush(stdout);
}

static void check_picture(const struct obs_source_frame *f)
{
	const uint32_t w = f->width, h = f->height;
	const uint8_t *corner = f->data[0];
	const uint8_t *centre = f->data[0] + (size_t)(h / 2) * f->linesize[0] + (size_t)(w / 2) * 4;
	size_t see_through = 0;
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			see_through += f->data[0][(size_t)y * f->linesize[0] + (size_t)x * 4 + 3] == 0;
	printf("OBS frame %ux%u, %.1f%% see-through, corner alpha %u, centre alpha %u, timestamp %.3f s\n", w, h,
	       100.0 * (double)see_through / ((double)w * h), corner[3], centre[3], (double)f->timestamp / 1e9);
	CHECK(corner[3] < 32);
	CHECK(centre[3] > 223);
	CHECK(see_through > (size_t)w * h / 20);
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: %s MODULE DATA_DIR ENDPOINT SESSION SIZE FORMAT\n", argv[0]);
		return 2;
	}
	const uint32_t size = (uint32_t)atoi(argv[5]);
	const enum video_format format = strcmp(argv[6], "BGRA") == 0 ? VIDEO_FORMAT_BGRA : VIDEO_FORMAT_RGBA;
	if (!start_obs_with_module("facecast live", argv[1], argv[2]))
		return SKIP;

	obs_data_t *settings = obs_data_create();
	obs_data_set_string(settings, "endpoint", argv[3]);
	obs_data_set_string(settings, "session", argv[4]);
	obs_source_t *src = obs_source_create("facecast_source", "facecast live", settings, NULL);
	CHECK(src != NULL);
	if (src == NULL)
		return TEST_RESULT();
	say("READY");

	bool shown = false;
	for (int i = 0; i < 1500 && !shown; i++) { /* up to 60 s */
		os_sleep_ms(40);
		shown = obs_source_get_width(src) == size && obs_source_get_height(src) == size;
	}
	CHECK(shown);
	uint64_t first_ts = 0;
	int frames = 0;
	for (int i = 0; i < 250 && frames < 2; i++) { /* two frames OBS would draw, up to 10 s */
		os_sleep_ms(40);
		struct obs_source_frame *f = obs_source_get_frame(src);
		if (f == NULL)
			continue;
		CHECK_EQ_U64(f->width, size);
		CHECK_EQ_U64(f->height, size);
		CHECK(f->format == format);
		CHECK(f->linesize[0] >= size * 4);
		if (frames == 0) {
			check_picture(f);
			first_ts = f->timestamp;
			frames++;
		} else if (f->timestamp != first_ts) {
			CHECK(f->timestamp > first_ts); /* the session's audio clock, in ns */
			frames++;
		}
		obs_source_release_frame(src, f);
	}
	CHECK(frames == 2);
	char status[512] = "";
	for (int i = 0; i < 50 && strstr(status, "Receiving") == NULL; i++) {
		status_line(src, status, sizeof(status));
		os_sleep_ms(40);
	}
	printf("status: %s\n", status);
	char expected[128];
	snprintf(expected, sizeof(expected), "Receiving session %s: %ux%u %s", argv[4], size, size, argv[6]);
	CHECK(strstr(status, expected) != NULL);
	say("SHOWN");

	/* the helper stops the runtime: the picture goes away instead of freezing */
	bool cleared = false;
	for (int i = 0; i < 500 && !cleared; i++) { /* up to 20 s */
		os_sleep_ms(40);
		cleared = obs_source_get_width(src) == 0;
	}
	CHECK(cleared);
	say("CLEARED");

	obs_source_release(src);
	for (int i = 0; i < 200 && !source_destroyed; i++)
		os_sleep_ms(5);
	CHECK(source_destroyed);
	obs_data_release(settings);
	obs_shutdown();
	return TEST_RESULT();
}
