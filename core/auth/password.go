package auth

import "fmt"

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
