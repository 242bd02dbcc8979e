/*
 * Debian's libsrtp 2.x under the names and signatures of libsrtp 3.0.0-beta, which the worker is written against.
 * Force-included (-include) before the worker's own <srtp.h>, whose include guard then makes that a no-op.
 * Only what differs is adapted; the cryptography is libsrtp 2's, unchanged:
 *   - the packet calls take separate input and output buffers with size_t lengths: the packet is copied into the
 *     output buffer (unless it is the same one) and protected or unprotected there in place, as 2.x does;
 *   - the stream removal is called srtp_stream_remove;
 *   - two error codes that 2.x never returns are named, with libsrtp 3's values.
 * The worker never uses an MKI, so the MKI index it passes (always 0) is not used.
 */
#ifndef CIRCLE_SRTP_COMPAT_H
#define CIRCLE_SRTP_COMPAT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <srtp2/srtp.h>

typedef srtp_err_status_t (*circle_srtp_in_place_call)(srtp_t, void *, int *);

#define srtp_err_status_buffer_small ((srtp_err_status_t)28)
#define srtp_err_status_cryptex_err ((srtp_err_status_t)29)

/*
 * Runs an in-place libsrtp 2.x call on a copy of `in` in `out`, whose capacity is *out_len and must hold the packet
 * plus `room` bytes (2.x may append up to SRTP_MAX_TRAILER_LEN, RTCP 4 more); on success *out_len is the result's length.
 */
static inline srtp_err_status_t circle_srtp_into(circle_srtp_in_place_call call, srtp_t ctx, const uint8_t *in,
                                                 size_t in_len, uint8_t *out, size_t *out_len, size_t room)
{
  if (in_len > INT_MAX - room) return srtp_err_status_bad_param;
  if (*out_len < in_len + room) return srtp_err_status_buffer_small;
  if (out != in) memmove(out, in, in_len);
  int length = (int)in_len;
  srtp_err_status_t status = call(ctx, out, &length);
  if (status == srtp_err_status_ok) *out_len = (size_t)length;
  return status;
}

/* A function-like macro does not expand inside its own expansion, so each one below calls the real 2.x function. */
#define srtp_protect(ctx, rtp, rtp_len, srtp, srtp_len, mki_index) \
  circle_srtp_into(srtp_protect, ctx, rtp, rtp_len, srtp, srtp_len, SRTP_MAX_TRAILER_LEN)
#define srtp_unprotect(ctx, srtp, srtp_len, rtp, rtp_len) \
  circle_srtp_into(srtp_unprotect, ctx, srtp, srtp_len, rtp, rtp_len, 0)
#define srtp_protect_rtcp(ctx, rtcp, rtcp_len, srtcp, srtcp_len, mki_index) \
  circle_srtp_into(srtp_protect_rtcp, ctx, rtcp, rtcp_len, srtcp, srtcp_len, SRTP_MAX_TRAILER_LEN + 4)
#define srtp_unprotect_rtcp(ctx, srtcp, srtcp_len, rtcp, rtcp_len) \
  circle_srtp_into(srtp_unprotect_rtcp, ctx, srtcp, srtcp_len, rtcp, rtcp_len, 0)
#define srtp_stream_remove srtp_remove_stream

#endif
