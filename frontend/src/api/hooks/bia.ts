/** Business impact analysis: processes, horizons, dependency graph, exercises. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../client";
import type { components } from "../schema";
import { moreKeys } from "./keys";
import { useActiveTeam } from "../../app/team";

type Schemas = components["schemas"];
export type Process = Schemas["ProcessOut"];
export type ProcessIn = Schemas["ProcessIn"];
export type ProcessUpdate = Schemas["ProcessUpdate"];
export type ImpactRow = Schemas["ImpactRow"];
export type Horizons = Schemas["HorizonsOut"];
export type Exercise = Schemas["ExerciseOut"];
export type ExerciseIn = Schemas["ExerciseIn"];
export type Graph = Schemas["DependencyGraph"];

function useBiaQuery<T>(part: string, load: () => Promise<T>) {
  const team = useActiveTeam();
  return useQuery({ queryKey: [...moreKeys.bia(team), part], queryFn: load, enabled: !!team });
}

export const useProcesses = () => useBiaQuery("processes", () => unwrap(api.GET("/api/bia/processes")));
export const useHorizons = () => useBiaQuery("horizons", () => unwrap(api.GET("/api/bia/horizons")));
export const useDependencyGraph = () => useBiaQuery("dependencies", () => unwrap(api.GET("/api/bia/dependencies")));
export const useExercises = () => useBiaQuery("exercises", () => unwrap(api.GET("/api/bia/exercises")));

function useBiaMutation<A, R>(run: (args: A) => Promise<R>) {
  const client = useQueryClient();
  const team = useActiveTeam();
  return useMutation({
    mutationFn: run,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: moreKeys.bia(team) });
      void client.invalidateQueries({ queryKey: moreKeys.risks(team) });
    },
  });
}

export const useCreateProcess = () => useBiaMutation((body: ProcessIn) => unwrap(api.POST("/api/bia/processes", { body })));
export const useUpdateProcess = () =>
  useBiaMutation(({ processId, body }: { processId: string; body: ProcessUpdate }) =>
    unwrap(api.PATCH("/api/bia/processes/{process_id}", { params: { path: { process_id: processId } }, body })));
export const useDeleteProcess = () =>
  useBiaMutation((processId: string) => unwrap(api.DELETE("/api/bia/processes/{process_id}", { params: { path: { process_id: processId } } })));
export const useRecordExercise = () => useBiaMutation((body: ExerciseIn) => unwrap(api.POST("/api/bia/exercises", { body })));
