/*
 * The facecast source: a receiver thread, started and stopped with the source, takes
 * frames from the runtime (core/facecast_core.h) and hands them to
 * obs_source_output_video. OBS's threads only flip flags and copy strings under a
 * short lock; everything that can wait (network) happens on the receiver thread.
 */
#include "facecast-source.h"

#include <util/bmem.h>
#include <util/platform.h>
#include <util/threading.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "facecast_core.h"
#include "plugin-support.h"

#define STATUS_MAX         512
#define RETRY_NS           500000000ULL  /* after a failed connect, try again in 0.5 s */
#define STATUS_INTERVAL_NS 500000000ULL  /* refresh the "receiving" status twice a second */
#define LOG_INTERVAL_NS    5000000000ULL /* at most one rejected-message warning per 5 s */

struct facecast_config {
	char *endpoint;
	char *session;
	char *server_key; /* CurveZMQ public key of a remote runtime, "" for plain TCP */
	int timeout_ms;
};

struct facecast_source {
	obs_source_t *source;
	pthread_t thread;
	bool thread_started;
	volatile bool stop;      /* os_atomic: ask the thread to exit */
	volatile bool reconnect; /* os_atomic: settings changed, rebuild the receiver */

	pthread_mutex_t lock; /* guards config and status */
	struct facecast_config config;
	char status[STATUS_MAX];
};

/* ---- status line (read by the properties dialog) -------------------------------- */

static void set_status(struct facecast_source *fs, const char *format, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void set_status(struct facecast_source *fs, const char *format, ...)
{
	char text[STATUS_MAX];
	va_list args;
	va_start(args, format);
	vsnprintf(text, sizeof(text), format, args);
	va_end(args);
	pthread_mutex_lock(&fs->lock);
	memcpy(fs->status, text, sizeof(text));
	pthread_mutex_unlock(&fs->lock);
}

static void copy_status(struct facecast_source *fs, char *out, size_t size)
{
	pthread_mutex_lock(&fs->lock);
	snprintf(out, size, "%s", fs->status);
	pthread_mutex_unlock(&fs->lock);
}

/* ---- the receiver thread ------------------------------------------------------------ */

static void copy_config(struct facecast_source *fs, struct facecast_config *out)
{
	pthread_mutex_lock(&fs->lock);
	out->endpoint = bstrdup(fs->config.endpoint);
	out->session = bstrdup(fs->config.session);
	out->server_key = bstrdup(fs->config.server_key);
	out->timeout_ms = fs->config.timeout_ms;
	pthread_mutex_unlock(&fs->lock);
}

static void free_config(struct facecast_config *c)
{
	bfree(c->endpoint);
	bfree(c->session);
	bfree(c->server_key);
	c->endpoint = c->session = c->server_key = NULL;
}

static void output_frame(struct facecast_source *fs, const fc_frame *f)
{
	struct obs_source_frame frame = {0};
	frame.data[0] = (uint8_t *)f->pixels; /* OBS copies the frame before returning */
	frame.linesize[0] = f->header.stride;
	frame.width = f->header.width;
	frame.height = f->header.height;
	frame.format = f->header.format == FC_FORMAT_BGRA ? VIDEO_FORMAT_BGRA : VIDEO_FORMAT_RGBA;
	frame.timestamp = fc_pts_to_ns(f->header.pts);
	frame.full_range = true;
	obs_source_output_video(fs->source, &frame);
}

static void clear_picture(struct facecast_source *fs)
{
	obs_source_output_video(fs->source, NULL); /* show nothing, not a frozen frame */
}

/* Sleeps up to ns in short steps so a stop request is honoured quickly. */
static void sleep_unless_stopped(struct facecast_source *fs, uint64_t ns)
{
	const uint64_t end = os_gettime_ns() + ns;
	while (!os_atomic_load_bool(&fs->stop) && os_gettime_ns() < end)
		os_sleep_ms(20);
}

/* What the receiver thread knows, turned into the status line. */
struct link_state {
	char endpoint[256];
	char session[FC_SESSION_MAX];
	fc_liveness live;
	fc_frame_header last_frame;
	uint64_t status_seen_ns; /* when the last heartbeat arrived (0: never) */
	fc_status status;
	fc_error last_reject;
	uint64_t last_compose_ns;
	bool following; /* no session configured: showing the first one that sent frames */
};

#define HEARTBEAT_TIMEOUT_NS 3000000000ULL /* the runtime sends one at least every second */

static void compose_status(struct facecast_source *fs, const struct link_state *s, const fc_receiver *rx, uint64_t now)
{
	fc_receiver_stats st = {0};
	fc_receiver_get_stats(rx, &st);
	const bool runtime_up = s->status_seen_ns != 0 && now - s->status_seen_ns < HEARTBEAT_TIMEOUT_NS;
	const char *want = s->session[0] ? s->session : NULL;
	if (s->live.live) {
		/* the runtime's own view of the session: a machine too slow for the frame rate shows here */
		char runtime[96] = "";
		if (runtime_up && s->status.found && strcmp(s->status.session.session, s->last_frame.session) == 0)
			snprintf(runtime, sizeof(runtime), "; runtime %.1f fps, %llu dropped", s->status.session.fps,
				 (unsigned long long)s->status.session.dropped);
		set_status(fs, "Receiving session %s: %ux%u %s, frame %llu (%llu shown, %llu skipped, %llu rejected)%s",
			   s->last_frame.session, s->last_frame.width, s->last_frame.height,
			   fc_format_name(s->last_frame.format), (unsigned long long)s->last_frame.seq,
			   (unsigned long long)st.frames, (unsigned long long)st.skipped,
			   (unsigned long long)st.rejected, runtime);
	} else if (!runtime_up) {
		set_status(fs, "No picture: no facecast runtime at %s (start `facecast serve`; reconnects by itself)",
			   s->endpoint);
	} else if (!s->status.found) {
		set_status(fs, "No picture: the runtime is up but has %s",
			   want ? "no such session open" : "no session open");
	} else if (s->status.session.pose_only) {
		set_status(fs, "No picture: session %s is pose-only (open it with pose_only=false)",
			   s->status.session.session);
	} else if (s->status.session.error_code[0]) {
		set_status(fs, "No picture: session %s: %s: %s", s->status.session.session,
			   s->status.session.error_code, s->status.session.error_message);
	} else {
		set_status(fs, "No picture yet: session %s is %s", s->status.session.session, s->status.session.state);
	}
	if (s->last_reject != FC_OK && !s->live.live) {
		char text[STATUS_MAX];
		copy_status(fs, text, sizeof(text));
		set_status(fs, "%s; last rejected message: %s (%s)", text, fc_error_message(s->last_reject),
			   fc_error_name(s->last_reject));
	}
}

/* Subscribes with the current settings; a failure (bad endpoint or session) is logged
 * once per settings change and retried by the caller. */
static fc_receiver *connect_receiver(struct facecast_source *fs, struct link_state *s, bool *warned)
{
	struct facecast_config c = {0};
	copy_config(fs, &c);
	fc_receiver_options opts;
	fc_receiver_options_default(&opts);
	opts.endpoint = c.endpoint;
	opts.session = c.session;
	opts.server_key = c.server_key;
	fc_receiver *rx = NULL;
	fc_error err = fc_receiver_create(&opts, &rx);
	if (err != FC_OK) {
		set_status(fs, "Cannot subscribe to '%s': %s (%s)", c.endpoint, fc_error_message(err),
			   fc_error_name(err));
		if (!*warned)
			obs_log(LOG_WARNING, "cannot subscribe to '%s' (session '%s'): %s (%s)", c.endpoint, c.session,
				fc_error_message(err), fc_error_name(err));
		*warned = true;
	} else {
		memset(s, 0, sizeof(*s));
		snprintf(s->endpoint, sizeof(s->endpoint), "%s", c.endpoint);
		snprintf(s->session, sizeof(s->session), "%s", c.session);
		fc_liveness_init(&s->live, (uint64_t)c.timeout_ms * 1000000ULL);
		set_status(fs, "Waiting for the runtime at %s (session: %s)", c.endpoint,
			   c.session[0] ? c.session : "any");
		obs_log(LOG_INFO, "subscribed to %s, session '%s'", c.endpoint, c.session);
	}
	free_config(&c);
	return rx;
}

static void *receiver_thread(void *data)
{
	struct facecast_source *fs = data;
	os_set_thread_name("facecast-obs: receiver");
	fc_receiver *rx = NULL;
	struct link_state s;
	memset(&s, 0, sizeof(s));
	uint64_t last_warning_ns = 0;
	bool connect_warned = false;

	while (!os_atomic_load_bool(&fs->stop)) {
		if (os_atomic_set_bool(&fs->reconnect, false)) {
			connect_warned = false;
			if (rx != NULL) {
				fc_receiver_destroy(rx);
				rx = NULL;
				clear_picture(fs);
			}
		}
		if (rx == NULL) {
			rx = connect_receiver(fs, &s, &connect_warned);
			if (rx == NULL) {
				sleep_unless_stopped(fs, RETRY_NS);
				continue;
			}
		}

		fc_message msg;
		fc_error err = fc_receiver_next(rx, &msg); /* blocks at most 100 ms */
		const uint64_t now = os_gettime_ns();
		if (err == FC_OK && msg.kind == FC_MESSAGE_FRAME) {
			if (s.session[0] == '\0' && !s.following &&
			    fc_receiver_set_session(rx, msg.frame.header.session) == FC_OK) {
				/* any session: stay with this one while it sends frames, so that several
				 * sessions on one runtime do not take turns in the picture */
				s.following = true;
				obs_log(LOG_INFO, "following session '%s'", msg.frame.header.session);
			}
			output_frame(fs, &msg.frame);
			if (!s.live.live)
				s.last_compose_ns = 0; /* the picture is back: say so at once */
			fc_liveness_frame(&s.live, now);
			s.last_frame = msg.frame.header;
			s.last_reject = FC_OK;
		} else if (err == FC_OK && msg.kind == FC_MESSAGE_STATUS) {
			s.status = msg.status;
			s.status_seen_ns = now;
		} else if (err != FC_ERR_TIMEOUT) {
			s.last_reject = err;
			if (now - last_warning_ns >= LOG_INTERVAL_NS) {
				obs_log(LOG_WARNING, "rejected a message: %s (%s)", fc_error_message(err),
					fc_error_name(err));
				last_warning_ns = now;
			}
			if (err == FC_ERR_ZMQ)
				sleep_unless_stopped(fs, RETRY_NS / 5);
		}
		if (fc_liveness_poll(&s.live, now)) {
			clear_picture(fs);
			if (s.following && fc_receiver_set_session(rx, "") == FC_OK)
				s.following = false; /* take whichever session sends frames next */
			obs_log(LOG_INFO, "no frames for %llu ms: picture cleared",
				(unsigned long long)(s.live.timeout_ns / 1000000ULL));
			s.last_compose_ns = 0;
		}
		if (now - s.last_compose_ns >= STATUS_INTERVAL_NS) {
			compose_status(fs, &s, rx, now);
			s.last_compose_ns = now;
		}
	}
	fc_receiver_destroy(rx);
	clear_picture(fs);
	return NULL;
}

/* ---- obs_source_info callbacks ------------------------------------------------------ */

const char *facecast_source_get_name(void *type_data)
{
	UNUSED_PARAMETER(type_data);
	return obs_module_text("FacecastSource");
}

void facecast_source_defaults(obs_data_t *settings)
{
	obs_data_set_default_string(settings, S_ENDPOINT, FACECAST_DEFAULT_ENDPOINT);
	obs_data_set_default_string(settings, S_SESSION, "");
	obs_data_set_default_string(settings, S_SERVER_KEY, "");
	obs_data_set_default_int(settings, S_TIMEOUT_MS, FACECAST_DEFAULT_TIMEOUT_MS);
}

static bool refresh_clicked(obs_properties_t *props, obs_property_t *property, void *data)
{
	UNUSED_PARAMETER(property);
	struct facecast_source *fs = data;
	if (fs == NULL)
		return false; /* properties of the source type, not of a source */
	char status[STATUS_MAX];
	copy_status(fs, status, sizeof(status));
	obs_property_set_description(obs_properties_get(props, S_STATUS), status);
	return true; /* redraw the dialog */
}

obs_properties_t *facecast_source_properties(void *data)
{
	struct facecast_source *fs = data;
	obs_properties_t *props = obs_properties_create();
	obs_properties_add_text(props, S_ENDPOINT, obs_module_text("Endpoint"), OBS_TEXT_DEFAULT);
	obs_properties_add_text(props, S_SESSION, obs_module_text("Session"), OBS_TEXT_DEFAULT);
	obs_property_t *key =
		obs_properties_add_text(props, S_SERVER_KEY, obs_module_text("ServerKey"), OBS_TEXT_DEFAULT);
	obs_property_set_long_description(key, obs_module_text("ServerKey.Help"));
	obs_property_t *timeout =
		obs_properties_add_int(props, S_TIMEOUT_MS, obs_module_text("ClearAfter"), 100, 60000, 100);
	obs_property_int_set_suffix(timeout, " ms");

	char status[STATUS_MAX] = "";
	if (fs != NULL)
		copy_status(fs, status, sizeof(status));
	obs_properties_add_text(props, S_STATUS, status[0] ? status : obs_module_text("StatusUnknown"), OBS_TEXT_INFO);
	obs_properties_add_button2(props, S_REFRESH, obs_module_text("RefreshStatus"), refresh_clicked, fs);
	return props;
}

/* The key as typed, or pasted with its line from server.key (public-key = "...") */
static void extract_key(const char *text, char *out, size_t size)
{
	const char *open = strchr(text, '"');
	const char *close = open ? strchr(open + 1, '"') : NULL;
	if (open != NULL && close != NULL) {
		text = open + 1;
	} else {
		while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
			text++;
		close = text + strlen(text);
		while (close > text &&
		       (close[-1] == ' ' || close[-1] == '\t' || close[-1] == '\n' || close[-1] == '\r'))
			close--;
	}
	size_t n = (size_t)(close - text) < size - 1 ? (size_t)(close - text) : size - 1;
	memcpy(out, text, n);
	out[n] = '\0';
}

void facecast_source_update(void *data, obs_data_t *settings)
{
	struct facecast_source *fs = data;
	const char *endpoint = obs_data_get_string(settings, S_ENDPOINT);
	const char *session = obs_data_get_string(settings, S_SESSION);
	char server_key[64];
	extract_key(obs_data_get_string(settings, S_SERVER_KEY), server_key, sizeof(server_key));
	int timeout_ms = (int)obs_data_get_int(settings, S_TIMEOUT_MS);
	if (timeout_ms < 100)
		timeout_ms = 100;

	pthread_mutex_lock(&fs->lock);
	const bool changed = fs->config.endpoint == NULL || strcmp(fs->config.endpoint, endpoint) != 0 ||
			     strcmp(fs->config.session, session) != 0 ||
			     strcmp(fs->config.server_key, server_key) != 0 || fs->config.timeout_ms != timeout_ms;
	bfree(fs->config.endpoint);
	bfree(fs->config.session);
	bfree(fs->config.server_key);
	fs->config.endpoint = bstrdup(endpoint);
	fs->config.session = bstrdup(session);
	fs->config.server_key = bstrdup(server_key);
	fs->config.timeout_ms = timeout_ms;
	pthread_mutex_unlock(&fs->lock);

	obs_log(LOG_INFO, "source '%s' settings: endpoint=%s session=%s server_key=%s clear_after_ms=%d%s",
		obs_source_get_name(fs->source), endpoint, session[0] ? session : "(any)",
		server_key[0] ? server_key : "(none: plain TCP)", timeout_ms, changed ? " (reconnecting)" : "");
	if (changed)
		os_atomic_set_bool(&fs->reconnect, true); /* the thread rebuilds its socket */
}

void *facecast_source_create(obs_data_t *settings, obs_source_t *source)
{
	struct facecast_source *fs = bzalloc(sizeof(*fs));
	fs->source = source;
	pthread_mutex_init(&fs->lock, NULL);
	snprintf(fs->status, sizeof(fs->status), "Starting");
	obs_source_set_async_unbuffered(source, true); /* show the newest frame, never queue */
	facecast_source_update(fs, settings);
	os_atomic_set_bool(&fs->reconnect, false);

	if (pthread_create(&fs->thread, NULL, receiver_thread, fs) == 0) {
		fs->thread_started = true;
	} else {
		obs_log(LOG_ERROR, "cannot start the receiver thread");
		set_status(fs, "Error: cannot start the receiver thread");
	}
	return fs;
}

void facecast_source_destroy(void *data)
{
	struct facecast_source *fs = data;
	os_atomic_set_bool(&fs->stop, true);
	if (fs->thread_started)
		pthread_join(fs->thread, NULL); /* returns within one receive timeout (100 ms) */
	pthread_mutex_destroy(&fs->lock);
	free_config(&fs->config);
	bfree(fs);
}
