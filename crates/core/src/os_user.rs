//! The operating-system user who runs agentctl, recorded beside every human decision.
//!
//! Taken from the real uid of the process (not `$USER`, which any caller can set or unset) and
//! named from `/etc/passwd`. Hand-written because the lookup is one line of a fixed format and
//! the crates that wrap `getpwuid_r` need `unsafe` or NSS; a uid with no `/etc/passwd` line is
//! recorded as `uid N`, which still identifies it.
//!
//! Does not know about: `--by` names or approver lists (`approvals` checks those).

/// The name of the real user of this process, or `uid N` when `/etc/passwd` does not name it.
pub fn current() -> String {
    let uid = rustix::process::getuid().as_raw();
    let passwd = fs_err::read_to_string("/etc/passwd").unwrap_or_default();
    name_for(&passwd, uid).unwrap_or_else(|| format!("uid {uid}"))
}

/// The first `/etc/passwd` entry whose uid field is `uid`.
fn name_for(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let _password = fields.next()?;
        let entry_uid: u32 = fields.next()?.trim().parse().ok()?;
        (entry_uid == uid && !name.is_empty()).then(|| name.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uid_field_names_the_user() {
        let passwd = "# comment\nroot:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/sh\nbroken line\n";
        assert_eq!(name_for(passwd, 0).as_deref(), Some("root"));
        assert_eq!(name_for(passwd, 1000).as_deref(), Some("alice"));
        assert_eq!(name_for(passwd, 1001), None);
    }

    #[test]
    fn the_current_user_has_a_name_or_a_uid() {
        let user = current();
        assert!(!user.is_empty());
    }
}
