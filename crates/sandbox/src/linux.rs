//! Applying a [`Profile`] to the current process on Linux, just before it execs the program.
//!
//! Owns, in this order: new namespaces (mount always, network unless the profile keeps it,
//! user when not running as root), read-only bind mounts over protected paths, empty mounts
//! over deny-scope paths and (without network) over `/run`, the Landlock ruleset (file system,
//! plus signal and abstract-socket scoping where the kernel has them; Landlock also forbids
//! mounting and unmounting, and ptrace or `/proc/PID/{environ,mem}` of processes outside the
//! sandbox), then `no_new_privs` and an empty capability bounding set. Any failure is returned
//! and the helper refuses to exec: a call never runs half-sandboxed.
//!
//! Must run in a single-threaded process (the exec helper): a user namespace cannot be
//! entered by a multi-threaded one.

use std::path::{Path, PathBuf};

use landlock::{
    path_beneath_rules, Access, AccessFs, CompatLevel, Compatible, LandlockStatus, Ruleset,
    RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope, ABI,
};
use nix::sched::{unshare, CloneFlags};
use rustix::fs::StatVfsMountFlags;
use rustix::mount::{
    mount, mount_bind, mount_bind_recursive, mount_change, mount_remount, MountFlags,
    MountPropagationFlags,
};
use rustix::thread::{CapabilitySet, CapabilitySets};

use crate::profile::{Profile, DEVICE_PATHS};
use crate::SandboxError;

/// The newest Landlock ABI this code was written and tested against. Rights of newer ABIs are
/// handled best-effort: on an older kernel they are simply not restricted.
const TARGET_ABI: ABI = ABI::V6;

pub(crate) fn apply(profile: &Profile) -> Result<(), SandboxError> {
    enter_namespaces(profile.network)?;
    mount_protections(profile)?;
    restrict_file_system(profile)?;
    drop_capabilities()?;
    Ok(())
}

fn unavailable(missing: String) -> SandboxError {
    SandboxError::Unavailable { missing }
}

fn enter_namespaces(network: bool) -> Result<(), SandboxError> {
    let uid = rustix::process::geteuid();
    let gid = rustix::process::getegid();
    let as_root = uid.is_root();
    let mut flags = CloneFlags::CLONE_NEWNS;
    if !network {
        flags |= CloneFlags::CLONE_NEWNET;
    }
    if !as_root {
        flags |= CloneFlags::CLONE_NEWUSER;
    }
    unshare(flags).map_err(|errno| {
        unavailable(format!(
            "cannot create the {} namespaces ({errno})",
            namespace_names(flags)
        ))
    })?;
    if !as_root {
        // Map the caller's own ids, so files keep their owners inside the sandbox.
        let write = |file: &str, text: String| {
            std::fs::write(file, text).map_err(|source| SandboxError::Path {
                path: PathBuf::from(file),
                what: "write",
                source,
            })
        };
        write("/proc/self/setgroups", "deny".to_owned())?;
        write("/proc/self/uid_map", format!("{0} {0} 1", uid.as_raw()))?;
        write("/proc/self/gid_map", format!("{0} {0} 1", gid.as_raw()))?;
    }
    Ok(())
}

fn namespace_names(flags: CloneFlags) -> String {
    let mut names = Vec::new();
    if flags.contains(CloneFlags::CLONE_NEWUSER) {
        names.push("user");
    }
    if flags.contains(CloneFlags::CLONE_NEWNS) {
        names.push("mount");
    }
    if flags.contains(CloneFlags::CLONE_NEWNET) {
        names.push("network");
    }
    names.join(", ")
}

fn mount_failed(path: &Path, what: &'static str, errno: rustix::io::Errno) -> SandboxError {
    SandboxError::Path {
        path: path.to_path_buf(),
        what,
        source: errno.into(),
    }
}

fn mount_protections(profile: &Profile) -> Result<(), SandboxError> {
    // Nothing mounted here may propagate back to the host.
    mount_change(
        "/",
        MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
    )
    .map_err(|errno| unavailable(format!("cannot make the mount namespace private ({errno})")))?;

    for path in &profile.read_only {
        let bind = if path.is_dir() {
            mount_bind_recursive(path, path)
        } else {
            mount_bind(path, path)
        };
        bind.map_err(|errno| mount_failed(path, "bind-mount read-only", errno))?;
        remount_read_only(path)?;
    }
    for path in &profile.hidden {
        hide(path)?;
    }
    if !profile.network {
        // Sockets of system services (a container engine, the session bus) live in /run; they
        // are not network-namespaced, so without network they are hidden too.
        let run = Path::new("/run");
        let needed_inside = [&profile.workspace, &profile.scratch]
            .iter()
            .any(|path| path.starts_with(run));
        if run.is_dir() && !needed_inside {
            mount(
                "tmpfs",
                run,
                "tmpfs",
                MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC | MountFlags::RDONLY,
                Some(c"mode=0555,size=4k"),
            )
            .map_err(|errno| mount_failed(run, "hide", errno))?;
        }
    }
    Ok(())
}

/// Remounts a bind mount read-only, keeping the flags the kernel locks in a user namespace.
fn remount_read_only(path: &Path) -> Result<(), SandboxError> {
    let mut flags = MountFlags::BIND | MountFlags::RDONLY;
    if let Ok(stat) = rustix::fs::statvfs(path) {
        let current = stat.f_flag;
        let pairs = [
            (StatVfsMountFlags::NOSUID, MountFlags::NOSUID),
            (StatVfsMountFlags::NODEV, MountFlags::NODEV),
            (StatVfsMountFlags::NOEXEC, MountFlags::NOEXEC),
            (StatVfsMountFlags::NOATIME, MountFlags::NOATIME),
            (StatVfsMountFlags::NODIRATIME, MountFlags::NODIRATIME),
            (StatVfsMountFlags::RELATIME, MountFlags::RELATIME),
        ];
        for (stat_flag, mount_flag) in pairs {
            if current.contains(stat_flag) {
                flags |= mount_flag;
            }
        }
    }
    mount_remount(path, flags, "").map_err(|errno| mount_failed(path, "remount read-only", errno))
}

/// Covers a deny-scope path: a directory with an empty read-only tmpfs nobody may list, a file
/// with `/dev/null`.
fn hide(path: &Path) -> Result<(), SandboxError> {
    let metadata = std::fs::symlink_metadata(path).map_err(|source| SandboxError::Path {
        path: path.to_path_buf(),
        what: "inspect",
        source,
    })?;
    if metadata.is_dir() {
        mount(
            "tmpfs",
            path,
            "tmpfs",
            MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC | MountFlags::RDONLY,
            Some(c"mode=000,size=4k"),
        )
        .map_err(|errno| mount_failed(path, "hide", errno))
    } else if metadata.file_type().is_symlink() {
        // A link is resolved by whoever follows it; what it points to is covered on its own if
        // a deny scope names it, and the link text itself is no secret.
        Ok(())
    } else {
        mount_bind("/dev/null", path).map_err(|errno| mount_failed(path, "hide", errno))?;
        remount_read_only(path)
    }
}

fn restrict_file_system(profile: &Profile) -> Result<(), SandboxError> {
    let failed = |error: landlock::RulesetError| {
        unavailable(format!("cannot build the Landlock ruleset ({error})"))
    };
    let all = AccessFs::from_all(TARGET_ABI);
    let read = AccessFs::from_read(TARGET_ABI);
    let modify = read | AccessFs::WriteFile | AccessFs::Truncate;
    let device = AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::Truncate;
    let ruleset = Ruleset::default()
        // The first ABI's file-system rights are the minimum; without them nothing is confined.
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(AccessFs::from_all(ABI::V1))
        .map_err(failed)?
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(all)
        .map_err(failed)?
        .scope(Scope::from_all(TARGET_ABI))
        .map_err(failed)?
        .create()
        .map_err(failed)?
        .add_rules(path_beneath_rules(&profile.read, read))
        .map_err(failed)?
        .add_rules(path_beneath_rules(&profile.modify_only, modify))
        .map_err(failed)?
        .add_rules(path_beneath_rules(&profile.write, all))
        .map_err(failed)?
        .add_rules(path_beneath_rules(
            DEVICE_PATHS.iter().filter(|path| Path::new(path).exists()),
            device,
        ))
        .map_err(failed)?;
    let status = ruleset.restrict_self().map_err(failed)?;
    if status.ruleset == RulesetStatus::NotEnforced {
        return Err(unavailable(
            "Landlock is not enabled in this kernel (needs Linux 5.13 or later with `landlock` in the `lsm=` boot list)"
                .to_owned(),
        ));
    }
    if !status.no_new_privs {
        return Err(unavailable("cannot set no_new_privs".to_owned()));
    }
    Ok(())
}

/// Leaves the program no capability, now or after exec (even as root: with an empty bounding
/// set, exec grants root nothing).
fn drop_capabilities() -> Result<(), SandboxError> {
    for capability in CapabilitySet::all().iter() {
        // Capabilities this kernel does not know are reported as invalid; nothing to drop.
        match rustix::thread::remove_capability_from_bounding_set(capability) {
            Ok(()) | Err(rustix::io::Errno::INVAL) => {}
            Err(errno) => {
                return Err(unavailable(format!(
                    "cannot drop capabilities from the bounding set ({errno})"
                )))
            }
        }
    }
    let empty = CapabilitySets {
        effective: CapabilitySet::empty(),
        permitted: CapabilitySet::empty(),
        inheritable: CapabilitySet::empty(),
    };
    rustix::thread::set_capabilities(None, empty)
        .map_err(|errno| unavailable(format!("cannot drop capabilities ({errno})")))
}

/// The Landlock ABI of the running kernel, found by restricting this process with a ruleset
/// that handles only directory listing. Destructive: only the throw-away probe process calls it,
/// as its last step.
pub(crate) fn landlock_abi() -> Result<u32, String> {
    let status = Ruleset::default()
        .handle_access(AccessFs::ReadDir)
        .and_then(|ruleset| ruleset.create())
        .and_then(|ruleset| ruleset.restrict_self())
        .map_err(|error| error.to_string())?;
    match status.landlock {
        LandlockStatus::Available {
            kernel_abi: Some(kernel),
            ..
        } => Ok(u32::try_from(kernel).unwrap_or(0)),
        LandlockStatus::Available { effective_abi, .. } => Ok(abi_number(effective_abi)),
        LandlockStatus::NotEnabled => {
            Err("Landlock is built into the kernel but not enabled (add `landlock` to the `lsm=` boot parameter)".to_owned())
        }
        LandlockStatus::NotImplemented => {
            Err("the kernel has no Landlock (needs Linux 5.13 or later built with CONFIG_SECURITY_LANDLOCK)".to_owned())
        }
    }
}

fn abi_number(abi: ABI) -> u32 {
    let known = [
        (ABI::V1, 1),
        (ABI::V2, 2),
        (ABI::V3, 3),
        (ABI::V4, 4),
        (ABI::V5, 5),
        (ABI::V6, 6),
        (ABI::V7, 7),
        (ABI::V8, 8),
        (ABI::V9, 9),
    ];
    known
        .into_iter()
        .find(|(candidate, _)| *candidate == abi)
        .map_or(0, |(_, number)| number)
}

/// Tries to enter one kind of namespace in this (throw-away, single-threaded) process.
pub(crate) fn try_namespace(kind: &str) -> Result<(), String> {
    let flags = match kind {
        "user" => CloneFlags::CLONE_NEWUSER,
        "mount" => CloneFlags::CLONE_NEWNS,
        "network" => CloneFlags::CLONE_NEWNET,
        other => return Err(format!("unknown namespace kind `{other}`")),
    };
    unshare(flags).map_err(|errno| errno.to_string())
}

pub(crate) fn running_as_root() -> bool {
    rustix::process::geteuid().is_root()
}
