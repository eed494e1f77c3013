/* Shared by the tests that run the plugin inside a real libobs: start-up with video
 * (Linux: an X display from xvfb-run and Mesa's software OpenGL), a log handler, the
 * module loaded, and the source's status line. */
#ifndef FACECAST_OBS_TEST_UTIL_H
#define FACECAST_OBS_TEST_UTIL_H

#include <obs.h>
#include <stdarg.h>

#include "test_util.h"

#define SKIP 77 /* ctest's SKIP_RETURN_CODE */

static volatile bool source_destroyed;
static char destroyed_line[256];

/* Forwards libobs's log to stdout and notes when our source is really gone
 * (libobs destroys sources on its own thread after the last release). */
static void log_handler(int level, const char *format, va_list args, void *param)
{
	(void)param;
	char line[1024];
	vsnprintf(line, sizeof(line), format, args);
	if (level <= LOG_INFO || strstr(line, "destroyed") != NULL)
		printf("obs: %s\n", line);
	if (strstr(line, destroyed_line) != NULL)
		source_destroyed = true;
}

/* Starts libobs with video (so async sources tick) and watches for `source_name`'s
 * destruction in the log. False (after printing "SKIP: why") where it cannot run. */
static bool start_obs(const char *source_name)
{
	snprintf(destroyed_line, sizeof(destroyed_line), "source '%s' destroyed", source_name);
	base_set_log_handler(log_handler, NULL);
	if (!obs_startup("en-US", NULL, NULL)) {
		fprintf(stderr, "SKIP: libobs cannot start (no X display? run under xvfb-run)\n");
		return false;
	}
	struct obs_video_info ovi = {0};
#ifdef __APPLE__
	ovi.graphics_module = "libobs-opengl";
#else
	ovi.graphics_module = "libobs-opengl.so.1";
#endif
	ovi.fps_num = 30;
	ovi.fps_den = 1;
	ovi.base_width = ovi.output_width = 320;
	ovi.base_height = ovi.output_height = 240;
	ovi.output_format = VIDEO_FORMAT_NV12;
	ovi.gpu_conversion = true;
	ovi.colorspace = VIDEO_CS_709;
	ovi.range = VIDEO_RANGE_PARTIAL;
	ovi.scale_type = OBS_SCALE_BILINEAR;
	int rc = obs_reset_video(&ovi);
	if (rc != OBS_VIDEO_SUCCESS) {
		fprintf(stderr, "SKIP: obs_reset_video failed (%d): no OpenGL (install Mesa: libgl1-mesa-dri)\n", rc);
		obs_shutdown();
		return false;
	}
	return true;
}

/* start_obs, then the built module (its path and data directory, as ctest passes them)
 * opened and initialised. False only where libobs cannot start: the caller returns SKIP. */
static bool start_obs_with_module(const char *source_name, const char *module_path, const char *data_dir)
{
	if (!start_obs(source_name))
		return false;
	obs_module_t *module = NULL;
	CHECK(obs_open_module(&module, module_path, data_dir) == MODULE_SUCCESS);
	CHECK(module != NULL && obs_init_module(module));
	return true;
}

/* The source's status line, as OBS's properties dialog shows it to the streamer. */
static void status_line(obs_source_t *src, char *out, size_t size)
{
	obs_properties_t *props = obs_source_properties(src);
	obs_property_t *p = obs_properties_get(props, "status");
	snprintf(out, size, "%s", p ? obs_property_description(p) : "(no status property)");
	obs_properties_destroy(props);
}

#endif
