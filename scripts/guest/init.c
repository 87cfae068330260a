/*
 * Stage 1 of the clawrun test guest: /init of the initramfs (PID 1), compiled statically
 * by scripts/guest/build.  See scripts/guest/run.
 *
 * Loads the virtio/9p/overlay modules listed in /modules.list and builds the guest's
 * root in /newroot: the host's / (9p tag "hostroot", read-only) under a tmpfs overlay,
 * with /run, /tmp, /dev/{pts,shm,mqueue}, cgroup2 on /sys/fs/cgroup (every controller
 * enabled in the root's cgroup.subtree_control), bpffs, debugfs, tracefs, loopback up,
 * the module tree, the repository read-only, and the run's control share (9p tag "ctl")
 * on /run/clawrun-guest/ctl.  Then it moves /newroot to / and execs stage2 (busybox sh)
 * which runs the command.  It is C rather than a shell script because every process
 * costs tens of milliseconds under emulation: this saves most of a second per boot.
 *
 * Kernel command line: clawrun.modules=DIR (module tree bound on /lib/modules/<ver>),
 * clawrun.ro=DIR (made read-only), clawrun.debug=1 (timestamped marks on the console).
 * A fatal problem is reported on the console and powers off (the host sees "not
 * started"); others also go to ctl/setup.log, which the host prints on its stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define G "/run/clawrun-guest"
#define N "/newroot"
#define MSIZE "262144"

static int debug;
static int kmsg = -1;
static char modules[4096], ro[4096];

static void say(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	vsnprintf(buf, sizeof buf, fmt, ap);
	dprintf(2, "clawrun-guest: %s%s\n", prefix, buf);
}

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say("init: ", fmt, ap);
	va_end(ap);
	sync();
	reboot(RB_POWER_OFF);
	_exit(1);
}

/* Not fatal: the console, and ctl/setup.log once the control share is there. */
static void warn(const char *fmt, ...)
{
	va_list ap;
	char buf[1024];
	int fd;
	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fd = open(N G "/ctl/setup.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		fd = open(G "/ctl/setup.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dprintf(fd, "%s\n", buf);
		close(fd);
	}
}

static void mark(const char *what)
{
	char buf[256];
	int n;
	if (!debug)
		return;
	n = snprintf(buf, sizeof buf, "<3>clawrun-guest: %s\n", what);
	if (kmsg < 0 || write(kmsg, buf, n) != n)
		dprintf(2, "%s", buf + 3);
}

static int do_mount(const char *src, const char *target, const char *type,
		    unsigned long flags, const char *data)
{
	if (mount(src, target, type, flags, data) == 0)
		return 0;
	warn("mount %s on %s (%s): %s", src ? src : "-", target, type ? type : "-",
	     strerror(errno));
	return -1;
}

static void must_mount(const char *src, const char *target, const char *type,
		       unsigned long flags, const char *data)
{
	if (mount(src, target, type, flags, data) != 0)
		fail("mount %s on %s (%s): %s", src, target, type ? type : "-", strerror(errno));
}

static void mkdir_p(const char *path, mode_t mode)
{
	char buf[4096], *p;
	snprintf(buf, sizeof buf, "%s", path);
	for (p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	mkdir(buf, mode);
}

static ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((size_t)total < size - 1 && (n = read(fd, buf + total, size - 1 - total)) > 0)
		total += n;
	close(fd);
	buf[total] = 0;
	return total;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;
	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (in < 0 || out < 0)
		fail("copy %s to %s: %s", from, to, strerror(errno));
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(out, buf, n) != n)
			fail("copy %s to %s: %s", from, to, strerror(errno));
	close(in);
	close(out);
}

static void parse_cmdline(void)
{
	char buf[8192], *w, *save;
	if (read_file("/proc/cmdline", buf, sizeof buf) < 0)
		return;
	for (w = strtok_r(buf, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
		if (!strncmp(w, "clawrun.modules=", 16))
			snprintf(modules, sizeof modules, "%s", w + 16);
		else if (!strncmp(w, "clawrun.ro=", 11))
			snprintf(ro, sizeof ro, "%s", w + 11);
		else if (!strcmp(w, "clawrun.debug=1"))
			debug = 1;
	}
}

static void load_modules(void)
{
	char list[4096], path[256], *m, *save;
	if (read_file("/modules.list", list, sizeof list) < 0)
		fail("no /modules.list");
	for (m = strtok_r(list, " \t\n", &save); m; m = strtok_r(NULL, " \t\n", &save)) {
		int fd;
		snprintf(path, sizeof path, "/mods/%s.ko", m);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			fail("open %s: %s", path, strerror(errno));
		if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST)
			fail("load module %s: %s", m, strerror(errno));
		close(fd);
		mark(m);
	}
}

static void loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
			warn("cannot bring lo up: %s", strerror(errno));
	}
	close(s);
}

static void setup_cgroup(void)
{
	char ctrls[1024], op[64], *c, *save;
	if (do_mount("cgroup2", N "/sys/fs/cgroup", "cgroup2", 0,
		     "nsdelegate,memory_recursiveprot") != 0)
		return;
	if (read_file(N "/sys/fs/cgroup/cgroup.controllers", ctrls, sizeof ctrls) < 0)
		return;
	for (c = strtok_r(ctrls, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
		snprintf(op, sizeof op, "+%s", c);
		if (write_file(N "/sys/fs/cgroup/cgroup.subtree_control", op) != 0)
			warn("cannot enable the %s controller: %s", c, strerror(errno));
	}
}

/* Modules (veth, nf_tables, ...) for the kernel's requests and for `modprobe`:
 * busybox's, since the tree has a text modules.dep only (no kmod on the host). */
static void setup_modules(const char *kver)
{
	static const char *const tools[] = {"modprobe", "insmod", "rmmod", "lsmod",
					    "depmod", "modinfo"};
	char src[4200], dst[4200];
	size_t i;
	struct stat st;

	snprintf(src, sizeof src, N "%s", modules);
	if (!modules[0] || stat(src, &st) != 0 || !S_ISDIR(st.st_mode)) {
		warn("no module tree (%s)", modules);
		return;
	}
	snprintf(dst, sizeof dst, N "/lib/modules/%s", kver);
	mkdir_p(dst, 0755);
	if (do_mount(src, dst, NULL, MS_BIND, NULL) != 0)
		return;
	for (i = 0; i < sizeof tools / sizeof *tools; i++) {
		snprintf(src, sizeof src, N G "/bin/%s", tools[i]);
		symlink("../busybox", src);
		snprintf(src, sizeof src, G "/bin/%s", tools[i]);
		snprintf(dst, sizeof dst, N "/usr/sbin/%s", tools[i]);
		unlink(dst);
		symlink(src, dst);
	}
	write_file(N "/proc/sys/kernel/modprobe", G "/bin/modprobe");
}

static void make_readonly(void)
{
	char path[4200];
	if (!ro[0])
		return;
	snprintf(path, sizeof path, N "%s", ro);
	if (mount(path, path, NULL, MS_BIND, NULL) != 0 ||
	    mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0)
		warn("cannot make %s read-only: %s", ro, strerror(errno));
}

/* A checkout under the host's /tmp (CI clones can live there) would be hidden by the
 * guest's fresh /tmp: bind it back, read-only, straight from the host root. */
static void expose_repo_under_tmp(void)
{
	char src[4200], dst[4200];
	if (strncmp(ro, "/tmp/", 5) != 0)
		return;
	snprintf(src, sizeof src, "/lower%s", ro);
	snprintf(dst, sizeof dst, N "%s", ro);
	mkdir_p(dst, 0755);
	if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) != 0 ||
	    mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) != 0)
		warn("cannot show %s in the guest: %s", ro, strerror(errno));
}

int main(void)
{
	static const char *const links[][2] = {{"/proc/self/fd", N "/dev/fd"},
					       {"/proc/self/fd/0", N "/dev/stdin"},
					       {"/proc/self/fd/1", N "/dev/stdout"},
					       {"/proc/self/fd/2", N "/dev/stderr"}};
	char kver[128];
	size_t i;
	int fd;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	must_mount("proc", "/proc", "proc", 0, NULL);
	must_mount("sysfs", "/sys", "sysfs", 0, NULL);
	parse_cmdline();
	mark("init started");

	load_modules();
	mark("modules loaded");

	/* The host root.  cache=loose: the host's files do not change under a test run,
	 * and without a page cache every exec re-reads its binary and libraries. */
	mkdir("/lower", 0755);
	mkdir("/upper", 0755);
	mkdir(N, 0755);
	must_mount("hostroot", "/lower", "9p", MS_RDONLY,
		   "trans=virtio,version=9p2000.L,msize=" MSIZE ",cache=loose");
	must_mount("upper", "/upper", "tmpfs", 0, "mode=755");
	mkdir("/upper/u", 0755);
	mkdir("/upper/w", 0755);
	must_mount("root", N, "overlay", 0,
		   "lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w,volatile");
	if (access(N "/bin/sh", X_OK) != 0)
		fail("the host root has no /bin/sh");

	must_mount("run", N "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755");
	mkdir_p(N G "/ctl", 0755);
	mkdir_p(N G "/bin", 0755);
	must_mount("ctl", N G "/ctl", "9p", 0,
		   "trans=virtio,version=9p2000.L,msize=" MSIZE ",cache=none");
	copy_file("/stage2", N G "/stage2", 0755);
	copy_file("/busybox", N G "/busybox", 0755);
	copy_file("/kernel-version", N G "/kernel-version", 0644);
	if (read_file("/kernel-version", kver, sizeof kver) <= 0)
		fail("no /kernel-version");
	kver[strcspn(kver, "\n")] = 0;
	mark("root mounted");

	must_mount("/dev", N "/dev", NULL, MS_MOVE, NULL);
	must_mount("/proc", N "/proc", NULL, MS_MOVE, NULL);
	must_mount("/sys", N "/sys", NULL, MS_MOVE, NULL);
	mkdir(N "/dev/pts", 0755);
	mkdir(N "/dev/shm", 01777);
	mkdir(N "/dev/mqueue", 0755);
	do_mount("devpts", N "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		 "gid=5,mode=620,ptmxmode=666");
	do_mount("shm", N "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	do_mount("mqueue", N "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	for (i = 0; i < sizeof links / sizeof *links; i++)
		symlink(links[i][0], links[i][1]); /* EEXIST is fine */

	setup_cgroup();
	do_mount("bpf", N "/sys/fs/bpf", "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=700");
	mount("debugfs", N "/sys/kernel/debug", "debugfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	mount("tracefs", N "/sys/kernel/tracing", "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	      NULL);
	sethostname("clawrun-guest", strlen("clawrun-guest"));
	loopback_up();
	setup_modules(kver);
	make_readonly();
	/* Last: the module tree or the read-only directory may be under the host's /tmp. */
	do_mount("tmp", N "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	expose_repo_under_tmp();
	mark("root ready");

	/* switch_root: the initramfs (a few MiB) stays, unreachable. */
	if (chdir(N) != 0 || mount(N, "/", NULL, MS_MOVE, NULL) != 0 || chroot(".") != 0 ||
	    chdir("/") != 0)
		fail("switch to the new root: %s", strerror(errno));
	{
		char *const argv[] = {"sh", G "/stage2", NULL};
		char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/", NULL};
		execve(G "/busybox", argv, envp);
	}
	fail("exec %s: %s", G "/stage2", strerror(errno));
	return 1;
}
