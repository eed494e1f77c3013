/* Random mutations of the golden fixtures (bit flips, special bytes, insertions,
 * deletions, truncations, splices) fed to the frame and status decoders. Whatever
 * comes in, the decoders return a code; whatever they accept satisfies every
 * invariant the plugin relies on. Deterministic (fixed seed); run under ASan. */
#include "test_util.h"

#define ITERATIONS 100000

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t next_random(void)
{
	/* xorshift64*: deterministic, good enough to pick mutations */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static size_t pick(size_t n)
{
	return n ? (size_t)(next_random() % n) : 0;
}

static const unsigned char SPECIAL[] = {0x00, 0x01, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xc4,
					0xca, 0xcb, 0xcc, 0xcf, 0xd3, 0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff};

/* Mutates src into a new exact-size heap buffer (so ASan sees any over-read). */
static unsigned char *mutate(const blob *src, const blob *other, size_t *out_len)
{
	size_t cap = src->len + other->len + 16;
	unsigned char *buf = malloc(cap);
	memcpy(buf, src->data, src->len);
	size_t len = src->len;
	int rounds = 1 + (int)pick(4);
	for (int r = 0; r < rounds; r++) {
		switch (pick(7)) {
		case 0: /* flip a bit */
			if (len)
				buf[pick(len)] ^= (unsigned char)(1u << pick(8));
			break;
		case 1: /* a byte msgpack gives meaning to */
			if (len)
				buf[pick(len)] = SPECIAL[pick(sizeof(SPECIAL))];
			break;
		case 2: /* insert a byte */
			if (len < cap) {
				size_t at = pick(len + 1);
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = (unsigned char)next_random();
				len++;
			}
			break;
		case 3: /* delete a byte */
			if (len) {
				size_t at = pick(len);
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
			}
			break;
		case 4: /* truncate */
			len = pick(len + 1);
			break;
		case 5: /* overwrite a run with bytes from another fixture */
			if (len && other->len) {
				size_t at = pick(len), from = pick(other->len);
				size_t n = 1 + pick(8);
				for (size_t i = 0; i < n && at + i < len && from + i < other->len; i++)
					buf[at + i] = other->data[from + i];
			}
			break;
		default: /* random byte */
			if (len)
				buf[pick(len)] = (unsigned char)next_random();
			break;
		}
	}
	unsigned char *exact = malloc(len ? len : 1);
	memcpy(exact, buf, len);
	free(buf);
	*out_len = len;
	return exact;
}

static size_t bounded_len(const char *s, size_t cap)
{
	size_t n = 0;
	while (n < cap && s[n] != '\0')
		n++;
	return n;
}

static void check_invariants(const fc_frame *f, const char *topic, size_t topic_len)
{
	const fc_frame_header *h = &f->header;
	size_t slen = bounded_len(h->session, FC_SESSION_MAX);
	CHECK(slen > 0 && slen < FC_SESSION_MAX);
	CHECK(h->version == FC_PROTOCOL_VERSION);
	CHECK(h->width >= 1 && h->width <= FC_MAX_DIMENSION && h->height >= 1 && h->height <= FC_MAX_DIMENSION);
	CHECK((uint64_t)h->stride >= (uint64_t)h->width * 4);
	CHECK(h->format == FC_FORMAT_RGBA || h->format == FC_FORMAT_BGRA);
	CHECK(h->pts >= 0.0 && h->pts == h->pts);
	CHECK(f->pixels_len == (size_t)h->height * h->stride);
	CHECK(topic_len == slen + 7 && memcmp(topic + 6, h->session, slen) == 0);
	/* the plugin reads every row: touch them all (ASan flags any out-of-bounds read) */
	unsigned sum = 0;
	for (size_t i = 0; i < f->pixels_len; i++)
		sum += f->pixels[i];
	(void)sum;
}

int main(void)
{
	blob topic = read_fixture("frame_topic.bin");
	blob headers[2] = {read_fixture("frame_header.msgpack"), read_fixture("frame_bgra_header.msgpack")};
	blob pixels = read_fixture("frame_pixels.bin");
	blob status = read_fixture("status.msgpack");
	blob pose = read_fixture("pose_header.msgpack");

	unsigned long counts[FC_ERR_COUNT] = {0};
	unsigned long status_ok = 0, status_rejected = 0;
	for (int it = 0; it < ITERATIONS; it++) {
		size_t hlen, tlen = topic.len, plen = pixels.len;
		const blob *src = &headers[it & 1];
		unsigned char *h = mutate(src, &pose, &hlen);
		unsigned char *t = NULL, *p = NULL;
		if (it % 5 == 0)
			t = mutate(&topic, src, &tlen);
		if (it % 7 == 0)
			p = mutate(&pixels, src, &plen);
		else {
			p = malloc(plen);
			memcpy(p, pixels.data, plen);
		}
		const void *parts[3] = {t ? t : topic.data, h, p};
		size_t lens[3] = {tlen, hlen, plen};
		fc_frame f;
		fc_error err = fc_decode_frame_message(parts, lens, 3, &f);
		CHECK(err >= 0 && err < FC_ERR_COUNT);
		if (err >= 0 && err < FC_ERR_COUNT)
			counts[err]++;
		if (err == FC_OK)
			check_invariants(&f, (const char *)parts[0], tlen);
		else
			CHECK(f.pixels == NULL && f.header.width == 0);
		free(h);
		free(t);
		free(p);

		size_t slen;
		unsigned char *s = mutate(&status, &pose, &slen);
		fc_status st;
		err = fc_decode_status(s, slen, (it & 1) ? "npc-2" : NULL, &st);
		if (err == FC_OK) {
			status_ok++;
			CHECK(bounded_len(st.session.session, FC_SESSION_MAX) < FC_SESSION_MAX);
			CHECK(bounded_len(st.session.error_message, 160) < 160);
			CHECK(!st.found || st.n_sessions > 0);
		} else {
			status_rejected++;
		}
		free(s);
	}

	printf("frame decoder outcomes over %d mutants:\n", ITERATIONS);
	int distinct = 0;
	for (int e = 0; e < FC_ERR_COUNT; e++) {
		if (counts[e]) {
			printf("  %-22s %lu\n", fc_error_name((fc_error)e), counts[e]);
			distinct++;
		}
	}
	printf("status decoder: %lu accepted, %lu rejected\n", status_ok, status_rejected);
	/* the mutations reach both outcomes and many distinct checks (else this test proves little) */
	CHECK(counts[FC_OK] > 100);
	CHECK(distinct >= 8);
	CHECK(status_ok > 100 && status_rejected > 100);

	free(topic.data);
	free(headers[0].data);
	free(headers[1].data);
	free(pixels.data);
	free(status.data);
	free(pose.data);
	return TEST_RESULT();
}
