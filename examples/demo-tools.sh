# Sourced by examples/demo.sh: Vapi tools as code — five tool definitions (templates/tools/)
# registered once with the platform's Vapi key, linked into a tenant assistant by
# fetch-merge-patch (a tool id crmctl does not own is kept), drift found and repaired, native
# interceptor tools pruned. Everything against the simulator.
step "Vapi tools: the platform key and the backend URL the definitions' {{backend_url}} takes"
DEMO_VAPI_KEY=vapi_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
curl -fsS -X POST "$SIM_URL/__sim/accept" -H 'Content-Type: application/json' \
  -d "{\"provider\":\"vapi\",\"value\":\"$DEMO_VAPI_KEY\"}" >/dev/null
export DEMO_VAPI_KEY
DEMO_MAIN_CONFIG="$CRMCTL_CONFIG"
export CRMCTL_CONFIG="$BUILD/demo-tools-config.yaml"
(umask 077; cp "$DEMO_MAIN_CONFIG" "$CRMCTL_CONFIG"; cat >>"$CRMCTL_CONFIG" <<YAML
      vapi:       {base_url: $SIM_URL, private_key: env:DEMO_VAPI_KEY}
    tools:
      backend_url: https://api.serenity.example
YAML
)
ls templates/tools/

step "A Vapi assistant of the tenant (made in the dashboard: a tool of its own, a native calendar tool)"
DEMO_FOREIGN_TOOL=$(curl -fsS -X POST "$SIM_URL/__sim/vapi/tools" -H 'Content-Type: application/json' \
  -d '{"type":"function","function":{"name":"clinicOwnTool"},"server":{"url":"https://own.example/x"}}' |
  grep -o '"id":"[^"]*"' | cut -d'"' -f4)
curl -fsS -X POST "$SIM_URL/__sim/vapi/assistants" -H 'Content-Type: application/json' \
  -d "{\"id\":\"asst_demo_front_desk\",\"name\":\"Front desk\",\"model\":{\"provider\":\"openai\",\"model\":\"gpt-4o\",
       \"messages\":[{\"role\":\"system\",\"content\":\"You are the front desk of Serenity MedSpa.\"}],
       \"toolIds\":[\"$DEMO_FOREIGN_TOOL\"],\"tools\":[{\"type\":\"google.calendar.event.create\"}]}}" >/dev/null
show "$CRMCTL" -o table agent create --tenant serenity-medspa --provider vapi \
  --external-id asst_demo_front_desk --name "Front desk"

step "Plan, then sync: five tools registered once, linked with one GET and one PATCH"
show "$CRMCTL" -o table tools plan --all-tenants
show "$CRMCTL" -o table tools sync --all-tenants
echo "(the assistant keeps its own tool and prompt:)"
curl -fsS "$SIM_URL/__sim/vapi/state" | grep -o '"toolIds":\[[^]]*\],"tools":\[[^]]*\]' | tail -1
show "$CRMCTL" -o table tools sync
echo "(nothing changed: the second run only read)"

step "Drift: a tool edited in the Vapi dashboard is found (exit 5) and put back"
DEMO_TOOL=$("$CRMCTL" -o json tools plan | grep -m1 -o '"provider_tool_id": "[^"]*"' | cut -d'"' -f4)
curl -fsS -X PATCH "$SIM_URL/__sim/vapi/tools/$DEMO_TOOL" -H 'Content-Type: application/json' \
  -d '{"function":{"name":"bookClinicAppointment","description":"edited by hand"}}' >/dev/null
show "$CRMCTL" -o table tools verify || echo "(exit $?: drift found: the edited tool, and the native calendar tool)"
show "$CRMCTL" -o table tools sync --cached

step "Nuclear cleanup: native interceptor tools removed (dry run first), then no drift is left"
show "$CRMCTL" -o table --dry-run tools prune --native
show "$CRMCTL" -o table --yes tools prune --native
curl -fsS "$SIM_URL/__sim/vapi/state" | grep -o '"toolIds":\[[^]]*\],"tools":\[[^]]*\]' | tail -1
show "$CRMCTL" -o table tools verify
export CRMCTL_CONFIG="$DEMO_MAIN_CONFIG"
