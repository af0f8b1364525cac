-- Argo CD health of a cloudnet.io object, read from the kstatus conditions the operator writes
-- (Ready, always present; Reconciling and Stalled, present while True) and status.observedGeneration.
-- One script for every kind: scripts/gen-argocd.ts copies it into argocd-cm.yaml and resource_customizations/.
-- Argo CD runs argocd-cm scripts without Lua's standard libraries (no string, no math): only the base
-- functions, table and require("os") with os.time and os.date. Every decision is an if statement (no
-- and/or), so test/deploy/argocd-health.test.ts can check that each one went both ways.
local os = require("os")

-- Ready=False with reason ProviderNotReady for this long (seconds since Ready's lastTransitionTime) is
-- Degraded: the object waits for its ProviderConfig, which does not mend itself (wrong credentials, a
-- cloud out of reach). Ten minutes rides out a credential rotation or a short cloud outage.
local PROVIDER_NOT_READY_DEGRADED_AFTER = 600

local function floor_div(a, b)
  return (a - a % b) / b
end

-- n (0 to 99) in two digits, without string.format.
local function two_digits(n)
  return floor_div(n, 10) .. n % 10
end

-- Unix time t as Kubernetes writes times (RFC 3339, UTC, to the second), so that it compares with them
-- as a string. By hand: gopher-lua's os.date("!...", t) formats t in local time, and os.time(table)
-- reads the table as local time. The civil date is Howard Hinnant's civil_from_days.
local function kube_time(t)
  local days = floor_div(t, 86400)
  local seconds = t - days * 86400
  local z = days + 719468
  local era = floor_div(z, 146097)
  local doe = z - era * 146097
  local yoe = floor_div(doe - floor_div(doe, 1460) + floor_div(doe, 36524) - floor_div(doe, 146096), 365)
  local doy = doe - (365 * yoe + floor_div(yoe, 4) - floor_div(yoe, 100))
  local mp = floor_div(5 * doy + 2, 153)
  local day = doy - floor_div(153 * mp + 2, 5) + 1
  local month = (mp + 2) % 12 + 1
  local year = yoe + era * 400 + floor_div(14 - month, 12)
  return year .. "-" .. two_digits(month) .. "-" .. two_digits(day) .. "T" .. two_digits(floor_div(seconds, 3600)) .. ":" .. two_digits(floor_div(seconds % 3600, 60)) .. ":" .. two_digits(seconds % 60) .. "Z"
end

local function health(status, message)
  return { status = status, message = message }
end

local status = obj.status
if status == nil then
  status = {}
end
local conditions = status.conditions
if conditions == nil then
  conditions = {}
end
-- Absent conditions read as the operator means them: Reconciling and Stalled False, Ready Unknown.
local condition = {
  Ready = { status = "Unknown", message = "Waiting for the operator" },
  Reconciling = { status = "False", message = "" },
  Stalled = { status = "False", message = "" },
}
for _, c in ipairs(conditions) do
  condition[c.type] = c
end

-- Argo CD itself shows a deleting object as Progressing before it asks this script; other readers get the same.
if obj.metadata.deletionTimestamp ~= nil then
  if condition.Reconciling.status == "True" then
    return health("Progressing", condition.Reconciling.message)
  end
  if condition.Stalled.status == "True" then
    return health("Progressing", condition.Stalled.message)
  end
  return health("Progressing", "Pending deletion")
end
if status.observedGeneration ~= obj.metadata.generation then
  return health("Progressing", "Waiting for the operator to act on generation " .. obj.metadata.generation)
end
if condition.Stalled.status == "True" then
  return health("Degraded", condition.Stalled.message)
end
local ready = condition.Ready
if ready.status == "True" then
  return health("Healthy", ready.message)
end
if ready.reason == "ProviderNotReady" then
  -- tostring: a missing time reads "nil", after every date, so never Degraded.
  if tostring(ready.lastTransitionTime) <= kube_time(os.time() - PROVIDER_NOT_READY_DEGRADED_AFTER) then
    return health("Degraded", ready.message)
  end
end
return health("Progressing", ready.message)
