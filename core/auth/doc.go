// Package auth owns what two Lanyard peers need to prove to each other that
// they share a slave's management password, and nothing about sockets:
//
//   - slave names: the rule for what a name may be (ValidateName) and the
//     case-insensitive form it is compared and salted in (NormalizeName);
//   - key derivation: K = Argon2id(password, "lanyard/v1/" + lower(name)),
//     with the parameters (KDFParams) that travel in the hello so both ends
//     derive alike. K is derived once, when a person enters the password, and
//     stored with its parameters; the password itself is never stored;
//   - the handshake messages' validation: ParseHello, ParseProof and
//     ParseWelcome refuse anything malformed before any other code looks at
//     a peer's bytes, with errors that name the field;
//   - the transcript and the proofs: Transcript binds both hellos, exactly as
//     sent, and the TLS exporter; ProofMAC/VerifyProof are the HMACs each side
//     sends over it, bound to the prover's role so a proof cannot be
//     reflected. With TLS the dialer proves early, over EarlyTranscript (its
//     own hello and the exporter), in its hello's last field
//     (AppendEarlyProof, SplitEarlyProof);
//   - rate limiting of failed attempts per source address and, for
//     strangers, per name (Limiter), so an online guesser gets a few tries a
//     minute while a peer that authenticated before is not locked out by
//     them. A token is reserved when a handshake starts and given back on
//     success, so parallel handshakes cannot outrun the limit.
//
// The handshake's order, timeouts, close codes and the TLS session itself
// belong to core/link; the frame codec and messages to core/wire. This
// package has no goroutines and does no I/O; everything in it is safe for
// concurrent use.
//
// Only the standard library and golang.org/x/crypto provide the
// cryptography: Argon2id, SHA-256, HMAC-SHA256 and crypto/rand. Nothing here
// is a home-made construction beyond length-prefixed framing of hash input.
package auth
