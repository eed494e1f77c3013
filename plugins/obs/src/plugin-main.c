/* Module entry points: OBS loads this library, calls obs_module_load, and we
 * register the facecast source. */
#include <obs-module.h>

#include "facecast-source.h"
#include "plugin-support.h"

/* exported too (obs-module.h declares it MODULE_EXTERN only), as the plugin template does */
MODULE_EXPORT obs_module_t *obs_current_module(void);

OBS_DECLARE_MODULE()
OBS_MODULE_USE_DEFAULT_LOCALE(PLUGIN_NAME, "en-US")

MODULE_EXPORT const char *obs_module_name(void)
{
	return "facecast";
}

MODULE_EXPORT const char *obs_module_description(void)
{
	return "facecast: a live talking portrait from the facecast runtime, with a transparent background.";
}

bool obs_module_load(void)
{
	obs_register_source(&facecast_source_info);
	obs_log(LOG_INFO, "plugin loaded (version %s)", PLUGIN_VERSION);
	return true;
}

void obs_module_unload(void)
{
	obs_log(LOG_INFO, "plugin unloaded");
}
