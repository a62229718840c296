// db::Statement behind a transaction-mode pooler (PgBouncer, pool_mode = transaction, as a
// Supabase-style deployment may put in front of PostgreSQL): each transaction may run on another
// server backend, where this session's prepared statements do not exist. The first run that meets
// that fails (26000) and the session runs every db::Statement unnamed from then on: right results,
// no further failures. pgbouncer is installed by tests/harness/deps.sh.
#include "db/db.hpp"
#include "support/pg.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

using namespace crm;
namespace fs = std::filesystem;

namespace {

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(s);
  return port;
}

bool accepts(int port) {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(s);
  return ok;
}

std::string find_pgbouncer() {
  for (const char* p : {"/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

// A PgBouncer in transaction mode in front of host:port, two server connections used round robin.
class Pgbouncer {
public:
  Pgbouncer(const std::string& host, const std::string& port) {
    const std::string bin = find_pgbouncer();
    if (bin.empty()) {
      ADD_FAILURE() << "pgbouncer is not installed: run tests/harness/deps.sh (make test does)";
      return;
    }
    char tmpl[] = "/tmp/crmctl-pgbouncer-XXXXXX";
    if (!::mkdtemp(tmpl)) return;
    m_dir = tmpl;
    ::chmod(m_dir.c_str(), 0777); // pgbouncer runs as nobody under root and writes its log here
    m_port = free_port();
    std::ofstream(m_dir + "/users.txt") << "\"postgres\" \"\"\n";
    std::ofstream(m_dir + "/pgbouncer.ini")
        << "[databases]\n* = host=" << host << " port=" << port << "\n"
        << "[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = " << m_port << "\n"
        << "auth_type = trust\nauth_file = " << m_dir << "/users.txt\n"
        << "pool_mode = transaction\ndefault_pool_size = 2\nmin_pool_size = 2\n"
        << "server_round_robin = 1\nmax_client_conn = 20\n"
        << "ignore_startup_parameters = extra_float_digits,application_name\n"
        << "unix_socket_dir =\nlogfile = " << m_dir << "/pgbouncer.log\n"
        << "pidfile = " << m_dir << "/pgbouncer.pid\n";
    for (const char* f : {"/users.txt", "/pgbouncer.ini"})
      ::chmod((m_dir + f).c_str(), 0644);
    m_pid = ::fork();
    if (m_pid == 0) {
      const std::string ini = m_dir + "/pgbouncer.ini";
      if (::getuid() == 0)
        ::execl("/usr/sbin/runuser", "runuser", "-u", "nobody", "--", bin.c_str(), ini.c_str(),
                static_cast<char*>(nullptr));
      else
        ::execl(bin.c_str(), "pgbouncer", ini.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 100 && !accepts(m_port); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!accepts(m_port)) ADD_FAILURE() << "pgbouncer did not start (see " << m_dir << ")";
  }
  ~Pgbouncer() {
    std::ifstream pidfile(m_dir + "/pgbouncer.pid");
    pid_t pid = 0;
    if (pidfile >> pid && pid > 0) ::kill(pid, SIGTERM);
    if (m_pid > 0) {
      ::kill(m_pid, SIGTERM);
      ::waitpid(m_pid, nullptr, 0);
    }
    std::error_code ec;
    if (!m_dir.empty()) fs::remove_all(m_dir, ec);
  }
  int port() const { return m_port; }

private:
  std::string m_dir;
  int m_port = 0;
  pid_t m_pid = -1;
};

} // namespace

TEST(Pooler, PreparedStatementsWorkBehindATransactionModePooler) {
  test::TempDatabase db;
  ASSERT_FALSE(db.name().empty());
  // postgresql://user@host:port/db -> host, port
  const std::string admin = test::admin_url();
  const auto at = admin.find('@'), slash = admin.find('/', at);
  const std::string hostport = admin.substr(at + 1, slash - at - 1);
  const std::string host = hostport.substr(0, hostport.rfind(':'));
  const std::string port = hostport.substr(hostport.rfind(':') + 1);
  Pgbouncer pb(host, port);
  ASSERT_GT(pb.port(), 0);
  const std::string url = "postgresql://postgres@127.0.0.1:" + std::to_string(pb.port()) + "/" +
                          db.name();
  static const db::Statement st("SELECT $1::int + 1 AS n, pg_backend_pid()::text AS pid");
  static const db::Statement st2("SELECT upper($1::text) AS u");
  std::vector<std::unique_ptr<db::Connection>> clients;
  for (int k = 0; k < 2; ++k) {
    auto c = db::Connection::open(url, "pooler-test");
    ASSERT_TRUE(c) << c.error().message;
    clients.push_back(std::move(*c));
  }
  // Both clients hold a transaction at once, in alternating order: the pooler must give them
  // two backends, and a client's next transaction may land on the one the other just used.
  int failures = 0, ok = 0;
  std::set<std::string> backends;
  for (int i = 0; i < 30; ++i) {
    std::vector<std::unique_ptr<db::AdminTx>> open;
    for (int k = 0; k < 2; ++k) {
      auto& c = clients[static_cast<std::size_t>((i + k) % 2)];
      auto tx = c->admin();
      ASSERT_TRUE(tx) << tx.error().message;
      auto r = (*tx)->exec(st, {std::to_string(i)});
      auto u = r ? (*tx)->exec(st2, {"x" + std::to_string(i)}) : Result<db::Rows>(r.error());
      if (!r || !u) {
        ++failures;
        const auto& e = !r ? r.error() : u.error();
        EXPECT_TRUE(e.sqlstate == "26000" || e.sqlstate == "42P05") << e.message;
        continue;
      }
      EXPECT_EQ(r->get(0, "n"), std::to_string(i + 1));
      EXPECT_EQ(u->get(0, "u"), "X" + std::to_string(i));
      backends.insert(r->get(0, "pid"));
      open.push_back(std::move(*tx));
    }
    for (auto& tx : open) {
      ASSERT_TRUE(tx->commit());
      ++ok;
    }
  }
  EXPECT_GE(backends.size(), 2u) << "the pooler never moved a session: the test proves nothing";
  EXPECT_LE(failures, 2) << "at most one run per client session may fail";
  EXPECT_GE(ok, 58);
}
