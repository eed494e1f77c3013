/* Plugin-wide helpers: the name/version and a logger that prefixes every line
 * with "[facecast-obs]" so users can grep OBS's log for this plugin. */
#pragma once

#include <util/base.h>

#ifndef PLUGIN_NAME
#define PLUGIN_NAME "facecast-obs"
#endif
#ifndef PLUGIN_VERSION
#define PLUGIN_VERSION "0.0.0"
#endif

#ifdef __cplusplus
extern "C" {
#endif

void obs_log(int log_level, const char *format, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

#ifdef __cplusplus
}
#endif
