/**
 * Which scopes a login asks for (ref §5): the default and read-only lists, and the rules that
 * combine `--scopes`, `--extra-scopes`, `--read-only` and config.yaml. The server stays the
 * judge of which scopes exist; we only refuse what could not be a scope at all.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/**
 * The scopes a login asks for by default: the Rust `pup`'s 110 (ref §5.1), sorted.
 *
 * @see RFC 6749 §3.3 (access token scope)
 */
export const DEFAULT_SCOPES: readonly string[] = Object.freeze([
  "apm_generate_metrics",
  "apm_read",
  "apm_remote_configuration_read",
  "apm_remote_configuration_write",
  "apm_service_catalog_read",
  "apm_service_ingest_read",
  "apm_service_ingest_write",
  "apm_service_renaming_write",
  "apps_run",
  "apps_write",
  "audit_logs_read",
  "aws_configuration_read",
  "azure_configuration_read",
  "bits_investigations_read",
  "bits_investigations_write",
  "built_in_features",
  "cases_read",
  "cases_write",
  "ci_visibility_read",
  "cloud_cost_management_read",
  "cloud_cost_management_write",
  "code_coverage_read",
  "connections_read",
  "dashboards_read",
  "dashboards_write",
  "data_scanner_read",
  "data_streams_monitoring_capture_messages",
  "dbm_read",
  "debugger_capture_variables",
  "debugger_read",
  "debugger_write",
  "disaster_recovery_status_read",
  "disaster_recovery_status_write",
  "dora_metrics_read",
  "dora_metrics_write",
  "error_tracking_read",
  "events_read",
  "feature_flag_config_read",
  "feature_flag_config_write",
  "feature_flag_environment_config_read",
  "feature_flag_environment_config_write",
  "gcp_configuration_read",
  "host_tags_write",
  "hosts_read",
  "incident_notification_settings_read",
  "incident_read",
  "incident_settings_read",
  "incident_settings_write",
  "incident_write",
  "integrations_read",
  "llm_observability_read",
  "llm_observability_write",
  "logs_generate_metrics",
  "logs_modify_indexes",
  "logs_read_archives",
  "logs_read_config",
  "logs_read_data",
  "logs_read_index_data",
  "logs_write_archives",
  "logs_write_pipelines",
  "manage_integrations",
  "metrics_read",
  "monitors_downtime",
  "monitors_read",
  "monitors_write",
  "notebooks_read",
  "notebooks_write",
  "observability_pipelines_delete",
  "observability_pipelines_deploy",
  "observability_pipelines_read",
  "oci_configuration_edit",
  "oci_configuration_read",
  "oci_configurations_manage",
  "on_call_read",
  "on_call_write",
  "org_management",
  "reference_tables_read",
  "reference_tables_write",
  "rum_apps_read",
  "rum_apps_write",
  "rum_generate_metrics",
  "rum_retention_filters_read",
  "rum_retention_filters_write",
  "rum_session_replay_read",
  "saved_views_write",
  "security_monitoring_filters_read",
  "security_monitoring_filters_write",
  "security_monitoring_findings_read",
  "security_monitoring_findings_write",
  "security_monitoring_rules_read",
  "security_monitoring_rules_write",
  "security_monitoring_signals_read",
  "slos_read",
  "slos_write",
  "status_pages_incident_write",
  "status_pages_settings_read",
  "status_pages_settings_write",
  "synthetics_private_location_read",
  "synthetics_read",
  "synthetics_write",
  "teams_manage",
  "teams_read",
  "test_optimization_read",
  "test_optimization_write",
  "timeseries_query",
  "usage_read",
  "user_access_read",
  "workflows_read",
  "workflows_run",
  "workflows_write",
]);

/**
 * The scopes `--read-only` asks for: the Rust `pup`'s 59 (ref §5.2), a subset of
 * {@link DEFAULT_SCOPES}, sorted.
 *
 * @see RFC 6749 §3.3 (access token scope)
 */
export const READ_ONLY_SCOPES: readonly string[] = Object.freeze([
  "apm_read",
  "apm_remote_configuration_read",
  "apm_service_catalog_read",
  "apm_service_ingest_read",
  "apps_run",
  "audit_logs_read",
  "aws_configuration_read",
  "azure_configuration_read",
  "bits_investigations_read",
  "built_in_features",
  "cases_read",
  "ci_visibility_read",
  "cloud_cost_management_read",
  "code_coverage_read",
  "connections_read",
  "dashboards_read",
  "data_scanner_read",
  "dbm_read",
  "disaster_recovery_status_read",
  "dora_metrics_read",
  "error_tracking_read",
  "events_read",
  "feature_flag_config_read",
  "feature_flag_environment_config_read",
  "gcp_configuration_read",
  "hosts_read",
  "incident_notification_settings_read",
  "incident_read",
  "incident_settings_read",
  "integrations_read",
  "llm_observability_read",
  "logs_read_archives",
  "logs_read_config",
  "logs_read_data",
  "logs_read_index_data",
  "metrics_read",
  "monitors_read",
  "notebooks_read",
  "observability_pipelines_read",
  "oci_configuration_read",
  "on_call_read",
  "reference_tables_read",
  "rum_apps_read",
  "rum_retention_filters_read",
  "rum_session_replay_read",
  "security_monitoring_filters_read",
  "security_monitoring_findings_read",
  "security_monitoring_rules_read",
  "security_monitoring_signals_read",
  "slos_read",
  "status_pages_settings_read",
  "synthetics_private_location_read",
  "synthetics_read",
  "teams_read",
  "test_optimization_read",
  "timeseries_query",
  "usage_read",
  "user_access_read",
  "workflows_read",
]);

/** Where the scopes of a login come from; every list is comma separated, as typed. */
export interface LoginScopeSources {
  /** `--scopes`: replaces everything, unfiltered even with `--read-only`. */
  scopes?: string;
  /** `--extra-scopes`: added to the base set; conflicts with `--scopes`. */
  extraScopes?: string;
  /** `--read-only` (or read-only mode). */
  readOnly: boolean;
  /** config.yaml top-level `scopes`. */
  configScopes?: string;
  /** config.yaml `profiles.<org>.scopes`, for the org being logged in. */
  profileScopes?: string;
  /**
   * The scopes the session being logged in to holds now (space-separated, as stored): with
   * `--extra-scopes` they are the base, so adding one scope keeps every other one.
   */
  currentScopes?: string;
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ); a space would split a token
// in two once the list is joined, and a quote or backslash is never valid.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Splits a comma-separated scope list: trims each item and drops empty ones (ref §5.3).
 *
 * @param value the list as typed, e.g. `"dashboards_read, monitors_read"`
 * @param label where it came from, for the error message, e.g. `--scopes`
 * @returns the scopes in the order given
 * @throws {UsageError} when an item is not a valid scope token
 * @see RFC 6749 §3.3
 */
export function parseScopeList(value: string, label: string): string[] {
  const out: string[] = [];
  for (const raw of value.split(",")) {
    const scope = raw.trim();
    if (scope === "") continue;
    if (!SCOPE_TOKEN.test(scope)) {
      throw new UsageError(
        `Cannot use scope ${JSON.stringify(scope)} from ${label}: a scope is one word of ` +
          `printable characters without spaces, quotes or backslashes; separate scopes with ","`,
      );
    }
    out.push(scope);
  }
  return out;
}

/**
 * Resolves the scopes to request at login, as the Rust `pup` does (ref §5.3): `--scopes`
 * replaces everything; otherwise the base is `profiles.<org>.scopes`, else config `scopes`,
 * else the default (or read-only) list, with config-derived scopes filtered down to the
 * read-only list in read-only mode; then `--extra-scopes` is added.
 *
 * @param p the flag and config values (see {@link LoginScopeSources})
 * @returns the scopes, sorted and without duplicates
 * @throws {UsageError} when `--scopes` and `--extra-scopes` are both given, when `--scopes`
 *   lists nothing, when an item is not a scope, or when read-only filtering leaves nothing
 * @see RFC 6749 §3.3
 */
export function resolveLoginScopes(p: LoginScopeSources): string[] {
  if (p.scopes !== undefined && p.extraScopes !== undefined) {
    throw new UsageError(
      "Cannot use --scopes and --extra-scopes together: --scopes replaces the whole list, so " +
        "put every scope in --scopes, or use --extra-scopes alone to add to the defaults",
    );
  }
  if (p.scopes !== undefined) {
    const scopes = parseScopeList(p.scopes, "--scopes");
    if (scopes.length === 0) {
      throw new UsageError(
        "Cannot use an empty --scopes: list at least one scope, e.g. --scopes dashboards_read",
      );
    }
    return sortedUnique(scopes);
  }
  if (p.extraScopes !== undefined && p.currentScopes?.trim()) {
    const current = p.currentScopes.trim().split(/\s+/);
    return sortedUnique([...current, ...parseScopeList(p.extraScopes, "--extra-scopes")]);
  }
  let base: string[] = [];
  let source = "";
  for (
    const [value, label] of [
      [p.profileScopes, "config profiles.<org>.scopes"],
      [p.configScopes, "config scopes"],
    ] as const
  ) {
    if (value === undefined) continue;
    base = parseScopeList(value, label);
    if (base.length > 0) {
      source = label;
      break;
    }
  }
  if (source === "") {
    base = [...(p.readOnly ? READ_ONLY_SCOPES : DEFAULT_SCOPES)];
  } else if (p.readOnly) {
    const allowed = new Set(READ_ONLY_SCOPES);
    base = base.filter((s) => allowed.has(s));
    if (base.length === 0) {
      throw new UsageError(
        `Cannot log in read-only with the scopes of ${source}: none of them is read-only; ` +
          "add read scopes such as dashboards_read there, or pass --scopes",
      );
    }
  }
  const extra = p.extraScopes === undefined ? [] : parseScopeList(p.extraScopes, "--extra-scopes");
  return sortedUnique([...base, ...extra]);
}

function sortedUnique(scopes: readonly string[]): string[] {
  // Code-unit order, as Rust's sort of ASCII strings: the URL shows the same order as the Rust pup.
  return [...new Set(scopes)].sort();
}
