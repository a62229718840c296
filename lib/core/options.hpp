// Small enums that replace boolean parameters in library signatures.
#pragma once

namespace crm {

/// Compute and report the plan, write nothing.
enum class DryRun { no, yes };

inline DryRun dry_run_if(bool b) {
  return b ? DryRun::yes : DryRun::no;
}

} // namespace crm
