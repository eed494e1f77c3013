/* What the plugin costs per 512x512 frame (target: under 2 ms).
 *   decode      header decode + validation (msgpack-c), in memory
 *   decode+copy decode plus the copy OBS makes of every frame it is given
 *   memcpy      baseline: copying the 1 MiB of pixels alone
 *   loopback    a publisher process sends real frames over tcp://127.0.0.1 at a steady
 *               rate; this process's CPU time per frame (ZeroMQ's I/O thread + receive +
 *               decode + copy), the receiving thread's time per frame, and the latency
 *               from the publisher's send to the frame copied as OBS would have it
 * Median and p95 over many frames. usage: bench_core [FRAMES] [SIZE] */
#define _GNU_SOURCE
#include <msgpack.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "facecast_core.h"

static double clock_ms(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void report(const char *name, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp);
	printf("%-34s median %8.4f ms   p95 %8.4f ms   (n=%d)\n", name, v[n / 2], v[(n * 95) / 100], n);
}

static msgpack_sbuffer make_header(uint64_t seq, unsigned size)
{
	msgpack_sbuffer sb;
	msgpack_sbuffer_init(&sb);
	msgpack_packer pk;
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	const char *keys[] = {"v", "session", "seq", "pts", "width", "height", "format", "stride"};
	msgpack_pack_map(&pk, 8);
	for (int i = 0; i < 8; i++) {
		msgpack_pack_str_with_body(&pk, keys[i], strlen(keys[i]));
		switch (i) {
		case 0:
			msgpack_pack_uint8(&pk, 1);
			break;
		case 1:
			msgpack_pack_str_with_body(&pk, "bench", 5);
			break;
		case 2:
			msgpack_pack_uint64(&pk, seq);
			break;
		case 3:
			msgpack_pack_double(&pk, (double)seq / 40.0);
			break;
		case 6:
			msgpack_pack_str_with_body(&pk, "RGBA", 4);
			break;
		case 7:
			msgpack_pack_uint32(&pk, size * 4);
			break;
		default:
			msgpack_pack_uint32(&pk, size);
		}
	}
	return sb;
}

static void in_memory(int frames, unsigned size)
{
	/* rotate through 8 source and 8 destination frames (16 MiB): copies miss the cache,
	 * as they do in OBS, instead of timing a cache-hot memcpy */
	enum { RING = 8 };
	const size_t n = (size_t)size * size * 4;
	uint8_t *srcs[RING], *dsts[RING];
	for (int r = 0; r < RING; r++) {
		srcs[r] = malloc(n);
		dsts[r] = malloc(n);
		memset(srcs[r], 0x5a + r, n);
		memset(dsts[r], 0, n);
	}
	double *t_decode = malloc(sizeof(double) * (size_t)frames), *t_copy = malloc(sizeof(double) * (size_t)frames),
	       *t_memcpy = malloc(sizeof(double) * (size_t)frames);
	for (int i = 0; i < frames; i++) {
		msgpack_sbuffer sb = make_header((uint64_t)i, size);
		uint8_t *pixels = srcs[i % RING], *dst = dsts[i % RING], *dst2 = dsts[(i + RING / 2) % RING];
		const void *parts[3] = {"frame/bench/", sb.data, pixels};
		size_t lens[3] = {12, sb.size, n};
		fc_frame f;
		double t0 = clock_ms(CLOCK_MONOTONIC);
		fc_decode_frame_message(parts, lens, 3, &f);
		double t1 = clock_ms(CLOCK_MONOTONIC);
		fc_copy_pixels(&f, dst, (size_t)size * 4);
		double t2 = clock_ms(CLOCK_MONOTONIC);
		memcpy(dst2, srcs[(i + RING / 2) % RING], n);
		double t3 = clock_ms(CLOCK_MONOTONIC);
		t_decode[i] = t1 - t0;
		t_copy[i] = t2 - t0;
		t_memcpy[i] = t3 - t2;
		msgpack_sbuffer_destroy(&sb);
	}
	report("decode (header + validation)", t_decode, frames);
	report("decode+copy (what OBS is handed)", t_copy, frames);
	report("memcpy of the pixels (baseline)", t_memcpy, frames);
	for (int r = 0; r < RING; r++) {
		free(srcs[r]);
		free(dsts[r]);
	}
	free(t_decode);
	free(t_copy);
	free(t_memcpy);
}

static void publisher(const char *endpoint, int frames, unsigned size)
{
	void *ctx = zmq_ctx_new();
	void *pub = zmq_socket(ctx, ZMQ_PUB);
	zmq_bind(pub, endpoint);
	const size_t n = (size_t)size * size * 4;
	uint8_t *pixels = malloc(n);
	memset(pixels, 0x5a, n);
	usleep(500000); /* let the subscriber connect */
	for (int i = 0; i < frames + 50; i++) {
		msgpack_sbuffer sb = make_header((uint64_t)i, size);
		const double sent = clock_ms(CLOCK_MONOTONIC); /* one clock for both processes */
		memcpy(pixels, &sent, sizeof(sent));
		zmq_send(pub, "frame/bench/", 12, ZMQ_SNDMORE);
		zmq_send(pub, sb.data, sb.size, ZMQ_SNDMORE);
		zmq_send(pub, pixels, n, 0);
		msgpack_sbuffer_destroy(&sb);
		usleep(10000); /* 100 frames per second */
	}
	free(pixels);
	zmq_close(pub);
	zmq_ctx_term(ctx);
}

static void loopback(int frames, unsigned size)
{
	char endpoint[64];
	snprintf(endpoint, sizeof(endpoint), "tcp://127.0.0.1:%d", 20000 + (int)(getpid() % 20000));
	pid_t child = fork();
	if (child == 0) {
		publisher(endpoint, frames, size);
		_exit(0);
	}
	fc_receiver_options opts;
	fc_receiver_options_default(&opts);
	opts.endpoint = endpoint;
	opts.session = "bench";
	opts.latest_only = true; /* as the plugin runs */
	opts.receive_timeout_ms = 2000;
	fc_receiver *rx = NULL;
	if (fc_receiver_create(&opts, &rx) != FC_OK) {
		fprintf(stderr, "cannot create receiver\n");
		kill(child, SIGKILL);
		return;
	}
	const size_t n = (size_t)size * size * 4;
	uint8_t *dst = malloc(n);
	double *t_thread = malloc(sizeof(double) * (size_t)frames),
	       *t_latency = malloc(sizeof(double) * (size_t)frames);
	int got = 0;
	double cpu0 = 0, thread_total = 0;
	fc_message msg;
	/* first frame: connection established, start the clocks */
	while (fc_receiver_next(rx, &msg) == FC_OK && msg.kind != FC_MESSAGE_FRAME)
		;
	cpu0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
	while (got < frames) {
		double t0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
		fc_error err = fc_receiver_next(rx, &msg);
		if (err != FC_OK || msg.kind != FC_MESSAGE_FRAME) {
			if (err == FC_ERR_TIMEOUT)
				break;
			continue;
		}
		fc_copy_pixels(&msg.frame, dst, (size_t)size * 4);
		t_thread[got] = clock_ms(CLOCK_THREAD_CPUTIME_ID) - t0;
		double sent;
		memcpy(&sent, dst, sizeof(sent));
		t_latency[got] = clock_ms(CLOCK_MONOTONIC) - sent;
		thread_total += t_thread[got];
		got++;
	}
	double cpu = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	fc_receiver_stats st;
	fc_receiver_get_stats(rx, &st);
	if (got > 0) {
		report("loopback: receiving thread CPU", t_thread, got);
		report("loopback: send -> copied (latency)", t_latency, got);
		printf("%-34s mean   %8.4f ms   (ZeroMQ I/O thread + receiving thread; %d frames, %llu skipped)\n",
		       "loopback: process CPU per frame", cpu / got, got, (unsigned long long)st.skipped);
	}
	fc_receiver_destroy(rx);
	free(dst);
	free(t_thread);
	free(t_latency);
	kill(child, SIGTERM);
	waitpid(child, NULL, 0);
}

int main(int argc, char **argv)
{
	int frames = argc > 1 ? atoi(argv[1]) : 500;
	unsigned size = argc > 2 ? (unsigned)atoi(argv[2]) : 512;
	printf("facecast OBS core, %ux%u RGBA frames (%zu KiB each)\n", size, size, (size_t)size * size * 4 / 1024);
	in_memory(frames * 4, size);
	loopback(frames, size);
	return 0;
}
