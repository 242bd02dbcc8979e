/**
 * Media parameters as they travel between the SFU and the browser: mediasoup's shapes, passed through untouched.
 * The protocol types them loosely, so the SDK's types need neither the server's mediasoup nor its exact version;
 * the SDK hands them to mediasoup-client as they came.
 */
/** A JSON object as mediasoup shaped it. */
export type Wire = { [key: string]: unknown };

export type RtpCapabilitiesWire = Wire & { codecs?: Wire[]; headerExtensions?: Wire[] };
export type RtpParametersWire = Wire & { codecs: Wire[]; encodings?: (Wire & { ssrc?: number })[] };
export type IceParametersWire = Wire & { usernameFragment: string; password: string };
export type IceCandidateWire = Wire;
export type DtlsParametersWire = Wire & { fingerprints: Wire[] };
