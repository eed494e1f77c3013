#include "plugin-support.h"

#include <stdarg.h>
#include <stdio.h>

void obs_log(int log_level, const char *format, ...)
{
	char prefixed[1024];
	snprintf(prefixed, sizeof(prefixed), "[%s] %s", PLUGIN_NAME, format);
	va_list args;
	va_start(args, format);
	blogva(log_level, prefixed, args);
	va_end(args);
}
