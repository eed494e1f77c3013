#include "facecast-source.h"

struct obs_source_info facecast_source_info = {
	.id = FACECAST_SOURCE_ID,
	.type = OBS_SOURCE_TYPE_INPUT,
	.output_flags = OBS_SOURCE_ASYNC_VIDEO | OBS_SOURCE_DO_NOT_DUPLICATE,
	.icon_type = OBS_ICON_TYPE_CAMERA,
	.get_name = facecast_source_get_name,
	.create = facecast_source_create,
	.destroy = facecast_source_destroy,
	.get_properties = facecast_source_properties,
	.get_defaults = facecast_source_defaults,
	.update = facecast_source_update,
};
