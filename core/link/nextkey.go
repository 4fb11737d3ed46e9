package link

import "github.com/lanyard/lanyard/core/auth"

// A password change from the console crosses two machines: the agent takes
// the new key, then the console keeps it. If the console crashes between
// the two, or the link drops before the agent's answer arrives, the console
// cannot know which key the agent holds. It keeps the new key beside the
// old one as the next key until a link settles it, and both ends of the
// handshake take either:
//
//   - an acceptor (Admission.Next) verifies the dialer's proof under each
//     key derived with the parameters the dialer states, all of them, so
//     that the time taken does not say which matched, and answers under
//     the one that did;
//   - a dialer (Target.Next) proves the next key first (the change most
//     likely went through) and, refused with auth_failed, dials once more
//     with the key before it.
//
// Peer.NextKey says the link came up under the next key: the agent has it,
// and the console promotes it. This file is the rule; the console's
// entries (core/master) keep the key.

// Secret is a derived key and the parameters it was derived with.
type Secret struct {
	Key auth.Key
	KDF auth.KDFParams
}

// candidate is a key an acceptor tries a proof under.
type candidate struct {
	key  auth.Key
	next bool // Admission.Next
}

// keysFor returns the keys a dialer deriving with kdf may prove, and the
// parameters this side states in its hello: kdf when a key matches it,
// the admission's own otherwise (and checkKDF refuses the dialer).
func (a Admission) keysFor(kdf auth.KDFParams) (auth.KDFParams, []candidate) {
	var keys []candidate
	if a.KDF == kdf {
		keys = append(keys, candidate{key: a.Key})
	}
	if a.Next != nil && a.Next.KDF == kdf {
		keys = append(keys, candidate{key: a.Next.Key, next: true})
	}
	if len(keys) == 0 {
		return a.KDF, nil
	}
	return kdf, keys
}

// withNext is t as it dials under its next key.
func (t Target) withNext() Target {
	n := t
	n.Key, n.KDF, n.Next = t.Next.Key, t.Next.KDF, nil
	return n
}
