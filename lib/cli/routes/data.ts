/**
 * The data routes: `api`, `monitors`, `logs`, `metrics`. Each calls Datadog with the resolved
 * session's credentials.
 *
 * @module
 */

import type { Command, RouteMap } from "@stricli/core";
import type { PupContext } from "../context.ts";

/** Top-level data routes, merged into the root route map. Add a route with one entry here. */
export const dataRoutes: Record<string, Command<PupContext> | RouteMap<PupContext>> = {};
