package wire

import "testing"

func TestACodeSaysWhetherAPersonMustAct(t *testing.T) {
	cases := []struct {
		code Code
		want bool
	}{
		{CodeAuthFailed, true},
		{CodeSSLMismatch, true},
		{CodeCertChanged, true},
		{CodeVersionUnsupported, true},
		{CodeNameMismatch, true},
		{CodeManagementDisabled, true},
		{CodeWrongRole, true},
		{CodeUnknownSlave, true},
		{CodeProtocolError, true},
		{CodeDuplicateInstall, true},
		{CodeSharedInstall, true},
		{CodeNotLanyard, true},
		{CodeDialFailed, false},
		{CodeTimeout, false},
		{CodeRateLimited, false},
		{CodeShuttingDown, false},
		{CodeDuplicateLink, false},
		{CodeNormal, false},
		{Code("a_code_from_a_newer_peer"), false},
	}
	for _, c := range cases {
		if got := c.code.NeedsPerson(); got != c.want {
			t.Errorf("%s.NeedsPerson() = %v, want %v", c.code, got, c.want)
		}
	}
}

// Every code a person must act on has words of its own for the tree and
// the command line's list; so do the ones time may fix but a person
// reads often. A code from a newer peer has none: its reason speaks.
func TestACodeThatNeedsAPersonHasWordsOfItsOwn(t *testing.T) {
	seen := map[string]Code{}
	for _, c := range []Code{CodeAuthFailed, CodeSSLMismatch, CodeCertChanged, CodeVersionUnsupported, CodeNameMismatch,
		CodeManagementDisabled, CodeWrongRole, CodeUnknownSlave, CodeProtocolError, CodeDuplicateInstall,
		CodeSharedInstall, CodeNotLanyard, CodeDialFailed, CodeTimeout, CodeRateLimited} {
		w := c.Words()
		if w == "" {
			t.Errorf("%s has no words", c)
		}
		if other, dup := seen[w]; dup {
			t.Errorf("%s and %s are both %q", c, other, w)
		}
		seen[w] = c
	}
	if w := Code("a_code_from_a_newer_peer").Words(); w != "" {
		t.Errorf("a newer peer's code reads %q", w)
	}
}
