/*
 * fuzz_json.c - the JSON decoder on arbitrary bytes, checked by the
 * round-trip oracle in codec_roundtrip.h.
 */
#include "codec_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_decoder(kube__json_decode, data, size);
}
