/*
 * sha256-test: step08-full/sha256.c against FIPS 180-4's examples (the
 * empty string, "abc", the 448-bit message, a million "a") and the
 * padding's edge cases (55, 56 and 64 bytes). Exit 0 if every one agrees.
 */
#include <stdio.h>
#include <string.h>

#include "sha256.h"

static int check(const char *what, const char *data, size_t repeat, const char *want)
{
	struct sha256 c;
	char got[65];

	sha256_init(&c);
	for (size_t i = 0; i < repeat; i++)
		sha256_update(&c, data, strlen(data));
	sha256_hex(&c, got);
	printf("%s %s\n", strcmp(got, want) ? "FAIL" : "ok", what);
	return strcmp(got, want) != 0;
}

int main(void)
{
	int bad = 0;

	bad |= check("empty", "", 1,
		     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	bad |= check("abc", "abc", 1,
		     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	bad |= check("448 bits", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
		     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	bad |= check("a million a", "aaaaaaaaaa", 100000,
		     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	bad |= check("55 bytes", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1,
		     "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	bad |= check("56 bytes", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1,
		     "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	bad |= check("64 bytes", "a", 64,
		     "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
	return bad;
}
