package app

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// fakeTerminal answers readHidden with its lines, as a person typing
// without echo would.
type fakeTerminal struct{ lines []string }

func (f *fakeTerminal) Read([]byte) (int, error) {
	return 0, errors.New("read the terminal with readHidden")
}

func (f *fakeTerminal) readHidden() ([]byte, error) {
	if len(f.lines) == 0 {
		return nil, errors.New("no more input")
	}
	l := f.lines[0]
	f.lines = f.lines[1:]
	return []byte(l), nil
}

func TestANewPasswordAtATerminalIsTypedTwiceOrGenerated(t *testing.T) {
	t.Run("a typed password is confirmed and never shown", func(t *testing.T) {
		var out bytes.Buffer
		pw, err := ReadNewPassword(&fakeTerminal{lines: []string{"s3cret-typed", "s3cret-typed"}}, &out)
		if err != nil || string(pw) != "s3cret-typed" {
			t.Fatalf("got %q, %v", pw, err)
		}
		if strings.Contains(out.String(), "s3cret-typed") {
			t.Fatalf("the typed password was printed: %q", out.String())
		}
	})
	t.Run("two different passwords change nothing", func(t *testing.T) {
		_, err := ReadNewPassword(&fakeTerminal{lines: []string{"one", "two"}}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), "differ") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("Enter generates a long random password, shown once", func(t *testing.T) {
		var out bytes.Buffer
		pw, err := ReadNewPassword(&fakeTerminal{lines: []string{""}}, &out)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(out.String(), string(pw)); n != 1 {
			t.Fatalf("the generated password is shown %d times:\n%s", n, out.String())
		}
		if !strings.Contains(out.String(), "press Enter to generate") {
			t.Errorf("the prompt does not offer to generate: %q", out.String())
		}
	})
	t.Run("a short one is taken with a warning that does not show it", func(t *testing.T) {
		for _, in := range []io.Reader{&fakeTerminal{lines: []string{"pw7", "pw7"}}, strings.NewReader("pw7\n")} {
			var out bytes.Buffer
			pw, err := ReadNewPassword(in, &out)
			if err != nil || string(pw) != "pw7" {
				t.Fatalf("got %q, %v", pw, err)
			}
			if !strings.Contains(out.String(), "Warning: the password has only 3 characters") || strings.Contains(out.String(), "pw7") {
				t.Errorf("the warning reads %q", out.String())
			}
		}
		var out bytes.Buffer
		if _, err := ReadNewPassword(strings.NewReader("correct-horse-battery\n"), &out); err != nil || out.Len() != 0 {
			t.Errorf("a long password: %v, %q", err, out.String())
		}
	})
	t.Run("an existing password is never generated", func(t *testing.T) {
		_, err := ReadPassword(&fakeTerminal{lines: []string{""}}, &bytes.Buffer{}, false)
		if err == nil {
			t.Fatal("an empty password was accepted")
		}
	})
}
