// Package gendocs writes a program's manual pages and shell completions
// from its cobra command tree, when the packages are built: what the
// pages say is what --help says, and nothing generated is committed.
//
// Write lays out, under one directory, the files as a Debian package
// installs them:
//
//	usr/share/man/man1/PROG.1.gz, PROG-CMD.1.gz, …   one page per command
//	usr/share/bash-completion/completions/PROG
//	usr/share/zsh/vendor-completions/_PROG
//	usr/share/fish/vendor_completions.d/PROG.fish
package gendocs

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Where each kind of file goes, relative to the root of the install tree.
const (
	ManDir  = "usr/share/man/man1"
	BashDir = "usr/share/bash-completion/completions"
	ZshDir  = "usr/share/zsh/vendor-completions"
	FishDir = "usr/share/fish/vendor_completions.d"
)

// Header is what every manual page's header and footer say.
type Header struct {
	Source string    // e.g. "Lanyard 1.2.0"
	Manual string    // e.g. "Lanyard Manual"
	Date   time.Time // the release's date (SOURCE_DATE_EPOCH), not today's
}

// Write writes root's manual pages and completions under dir. It adds
// cobra's default completion command first, as Execute does, so the pages
// describe every command the program has.
func Write(root *cobra.Command, dir string, h Header) error {
	root.InitDefaultCompletionCmd()
	visit(root, func(c *cobra.Command) { c.DisableAutoGenTag = true })
	for _, d := range []string{ManDir, BashDir, ZshDir, FishDir} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	date := h.Date.UTC()
	var err error
	visit(root, func(c *cobra.Command) {
		if err != nil {
			return
		}
		var page bytes.Buffer
		header := &doc.GenManHeader{Section: "1", Source: h.Source, Manual: h.Manual, Date: &date}
		if err = doc.GenMan(c, header, &page); err != nil {
			err = fmt.Errorf("manual page of %s: %w", c.CommandPath(), err)
			return
		}
		name := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1.gz"
		err = writeGzip(filepath.Join(dir, ManDir, name), page.Bytes())
	})
	if err != nil {
		return err
	}
	prog := root.Name()
	for _, f := range []struct {
		path string
		gen  func(*bytes.Buffer) error
	}{
		{filepath.Join(BashDir, prog), func(b *bytes.Buffer) error { return root.GenBashCompletionV2(b, true) }},
		{filepath.Join(ZshDir, "_"+prog), func(b *bytes.Buffer) error { return root.GenZshCompletion(b) }},
		{filepath.Join(FishDir, prog+".fish"), func(b *bytes.Buffer) error { return root.GenFishCompletion(b, true) }},
	} {
		var b bytes.Buffer
		if err := f.gen(&b); err != nil {
			return fmt.Errorf("%s: %w", f.path, err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.path), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// visit calls f on c and every command below it that has a manual page:
// the ones --help lists (not hidden, not deprecated, not help itself).
func visit(c *cobra.Command, f func(*cobra.Command)) {
	f(c)
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() && !sub.IsAdditionalHelpTopicCommand() {
			visit(sub, f)
		}
	}
}

// writeGzip writes data gzipped at the best compression, with no name or
// time in the header, so the same page gives the same bytes.
func writeGzip(path string, data []byte) error {
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
