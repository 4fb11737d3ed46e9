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
