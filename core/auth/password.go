package auth

import (
	"crypto/rand"
	"fmt"
)

// ShortPassword is the length under which a new management password is
// taken with a warning: a recorded login (SSL off, or an impostor at the
// first contact) lets anyone try short ones offline.
const ShortPassword = 12

// ShortPasswordWarning says that a new password of n characters is short
// ("the password has only 8 characters: …"), or is "" when it is not (or
// none was typed). It takes the length, not the password, which is never
// copied.
func ShortPasswordWarning(n int) string {
	if n == 0 || n >= ShortPassword {
		return ""
	}
	return fmt.Sprintf("the password has only %d characters: anyone who records one login (SSL off) can try short passwords offline; "+
		"use 16 or more random characters", n)
}

// PasswordAlphabet, from which GeneratePassword draws, has no look-alikes
// (0/O, 1/l/I), so a generated password survives being read aloud or
// copied by hand.
const PasswordAlphabet = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"

// GeneratePassword returns a long random management password: 24
// characters from PasswordAlphabet (about 139 bits) in groups of four
// joined by '-', e.g. "7kQ2-m9XH-…". Long enough that a recorded login
// (SSL off) cannot be guessed offline.
func GeneratePassword() []byte {
	const groups, per = 6, 4
	// Bytes at or above the largest multiple of the alphabet's size are
	// drawn again, so every character is equally likely.
	const limit = 256 / len(PasswordAlphabet) * len(PasswordAlphabet)
	pw := make([]byte, 0, groups*(per+1)-1)
	var b [1]byte
	for n := 0; n < groups*per; {
		_, _ = rand.Read(b[:]) // never fails since Go 1.24
		if int(b[0]) >= limit {
			continue
		}
		if n > 0 && n%per == 0 {
			pw = append(pw, '-')
		}
		pw = append(pw, PasswordAlphabet[int(b[0])%len(PasswordAlphabet)])
		n++
	}
	return pw
}
