// Package mail sends the console's mail: alerts and the daily backup
// summary, through the SMTP server in the console's mail settings
// (github.com/wneessen/go-mail).
//
// Settings (server host:port, none/STARTTLS/TLS, user, from, to, which
// events mail, the daily summary's time) are stored in the console's
// database under "mail"; the SMTP password, which the server needs as
// typed to log in (unlike the slaves' passwords, of which the console
// keeps only a derived key), is stored apart under "mail_password", in the
// same owner-only file, and is never shown, logged or sent anywhere but
// to that server. Send reports the server's refusal in its own words,
// quoted and cut.
package mail
