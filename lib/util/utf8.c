/* UTF-8 validation, shared by the programs that print keys as JSON. */
#include <stdbool.h>
#include <stdint.h>

#include "raft/common.h"

bool raft_utf8_valid(const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i = 0;
	while (i < len) {
		unsigned char c = p[i];
		unsigned n, k;
		uint32_t cp;
		if (c == 0) {
			return false;
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i - 1 < n) {
			return false;
		}
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80) {
				return false;
			}
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
			return false;
		}
		i += n + 1;
	}
	return true;
}
