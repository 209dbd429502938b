/*
 * fuzz_yaml.c - the YAML decoder on arbitrary bytes, checked by the
 * round-trip oracle in codec_roundtrip.h.
 */
#include "codec_roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_decoder(kube__yaml_decode, data, size);
}
