/*
 * Exercises scripts/worker-shims/libsrtp3/srtp-compat.h against Debian's libsrtp 2, the way the worker calls it:
 * protect into a separate buffer, unprotect in place, both RTP and RTCP, and the refusals. Prints one line per
 * check and exits non-zero on the first failure.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srtp-compat.h"

#define CHECK(what, condition) do { if (!(condition)) { printf("FAIL %s\n", what); return 1; } printf("ok %s\n", what); } while (0)

static srtp_t session(srtp_ssrc_type_t direction, unsigned char *key)
{
  srtp_policy_t policy;
  memset(&policy, 0, sizeof policy);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
  srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
  policy.ssrc.type = direction;
  policy.key = key;
  policy.window_size = 1024;
  srtp_t created = NULL;
  if (srtp_create(&created, &policy) != srtp_err_status_ok) exit(2);
  return created;
}

int main(void)
{
  unsigned char key[30];
  for (size_t i = 0; i < sizeof key; i++) key[i] = (unsigned char)(i * 7 + 1);
  if (srtp_init() != srtp_err_status_ok) return 2;
  srtp_t sender = session(ssrc_any_outbound, key);
  srtp_t receiver = session(ssrc_any_inbound, key);

  /* RTP: version 2, payload type 111, sequence 1, timestamp 160, SSRC 0x11223344, then 100 bytes of payload. */
  uint8_t rtp[112] = { 0x80, 0x6f, 0x00, 0x01, 0x00, 0x00, 0x00, 0xa0, 0x11, 0x22, 0x33, 0x44 };
  for (size_t i = 12; i < sizeof rtp; i++) rtp[i] = (uint8_t)i;
  uint8_t original[sizeof rtp];
  memcpy(original, rtp, sizeof rtp);

  uint8_t wire[1500];
  size_t wire_len = sizeof wire;
  CHECK("protect into a separate buffer", srtp_protect(sender, rtp, sizeof rtp, wire, &wire_len, 0) == srtp_err_status_ok);
  CHECK("the input is left as it was", memcmp(rtp, original, sizeof rtp) == 0);
  CHECK("the output carries a 10-byte tag", wire_len == sizeof rtp + 10);
  CHECK("the payload is encrypted", memcmp(wire + 12, original + 12, sizeof rtp - 12) != 0);

  size_t clear_len = wire_len;
  CHECK("unprotect in place", srtp_unprotect(receiver, wire, wire_len, wire, &clear_len) == srtp_err_status_ok);
  CHECK("the packet comes back whole", clear_len == sizeof rtp && memcmp(wire, original, sizeof rtp) == 0);

  rtp[3] = 2; /* the next sequence number */
  uint8_t tampered[1500];
  size_t tampered_len = sizeof tampered;
  srtp_protect(sender, rtp, sizeof rtp, tampered, &tampered_len, 0);
  tampered[20] ^= 1;
  size_t refused_len = tampered_len;
  CHECK("a tampered packet is refused", srtp_unprotect(receiver, tampered, tampered_len, tampered, &refused_len) == srtp_err_status_auth_fail);

  rtp[3] = 3;
  uint8_t small[sizeof rtp + 4];
  size_t small_len = sizeof small;
  CHECK("no room for the tag: buffer_small", srtp_protect(sender, rtp, sizeof rtp, small, &small_len, 0) == srtp_err_status_buffer_small);

  /* RTCP: a receiver report from SSRC 0x11223344 with no blocks. */
  uint8_t rtcp[8] = { 0x80, 0xc9, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44 };
  uint8_t srtcp[1500];
  size_t srtcp_len = sizeof srtcp;
  CHECK("protect RTCP", srtp_protect_rtcp(sender, rtcp, sizeof rtcp, srtcp, &srtcp_len, 0) == srtp_err_status_ok);
  CHECK("RTCP gains its index and tag", srtcp_len == sizeof rtcp + 4 + 10);
  size_t rtcp_len = srtcp_len;
  CHECK("unprotect RTCP in place", srtp_unprotect_rtcp(receiver, srtcp, srtcp_len, srtcp, &rtcp_len) == srtp_err_status_ok);
  CHECK("the report comes back whole", rtcp_len == sizeof rtcp && memcmp(srtcp, rtcp, sizeof rtcp) == 0);

  CHECK("a stream is removed by its new name", srtp_stream_remove(receiver, htonl(0x11223344)) == srtp_err_status_ok);
  srtp_dealloc(sender);
  srtp_dealloc(receiver);
  return 0;
}
