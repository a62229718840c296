// Runs a command and reports its wall time and peak resident set size (the child's ru_maxrss from
// wait4), so benchmarks need neither /usr/bin/time nor root.
//   crm-bench-rss [--out FILE] CMD [ARGS...]   stdout of CMD goes to FILE (default: inherited)
// Prints "wall_s=<seconds> peak_rss_kb=<kB> exit=<code>" on stderr; exits with CMD's code.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
  int first = 1;
  const char* out = nullptr;
  if (argc > 2 && std::strcmp(argv[1], "--out") == 0) {
    out = argv[2];
    first = 3;
  }
  if (first >= argc) {
    std::fprintf(stderr, "usage: crm-bench-rss [--out FILE] CMD [ARGS...]\n");
    return 2;
  }
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    return 1;
  }
  if (pid == 0) {
    if (out) {
      int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) _exit(127);
    }
    execvp(argv[first], argv + first);
    std::perror(argv[first]);
    _exit(127);
  }
  int status = 0;
  struct rusage ru {};
  if (wait4(pid, &status, 0, &ru) < 0) {
    std::perror("wait4");
    return 1;
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::fprintf(stderr, "wall_s=%.3f peak_rss_kb=%ld exit=%d\n", wall, ru.ru_maxrss, code);
  return code;
}
