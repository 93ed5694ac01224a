/** The active team's switched-off modules (backend toggle names), provided once by AuthGate. */
import { createContext, useContext } from "react";

export const DisabledModulesContext = createContext<ReadonlySet<string>>(new Set());

export function useDisabledModules(): ReadonlySet<string> {
  return useContext(DisabledModulesContext);
}

/** Whether a module toggle (findings, compliance, scans, assets) is on for the active team. */
export function useModuleOn(toggle: string): boolean {
  return !useContext(DisabledModulesContext).has(toggle);
}
