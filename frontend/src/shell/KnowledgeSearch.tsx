/** The knowledge search in the top bar: a few best passages as you type, "all results" on the knowledge page. */
import { useEffect, useRef, useState } from "react";
import { useNavigate } from "react-router-dom";
import { useKnowledgeSearch } from "../api/hooks/knowledge";
import { useTeamModules } from "../api/hooks/modules";
import { useCan } from "../app/AuthGate";
import { Icon } from "../components/Icon";

function useDebounced(value: string, delay = 250): string {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => { const timer = setTimeout(() => setDebounced(value), delay); return () => clearTimeout(timer); }, [value, delay]);
  return debounced;
}

export function KnowledgeSearch() {
  const canRead = useCan("knowledge:read");
  const modules = useTeamModules(canRead);
  const switchedOff = modules.data?.some((module) => module.name === "knowledge" && !module.enabled) ?? false;
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const q = useDebounced(text);
  const search = useKnowledgeSearch(canRead && !switchedOff ? q : "");
  const navigate = useNavigate();
  const ref = useRef<HTMLFormElement>(null);
  useEffect(() => {
    const onDown = (event: MouseEvent) => { if (ref.current && !ref.current.contains(event.target as Node)) setOpen(false); };
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, []);
  if (!canRead || switchedOff) return null;
  const results = search.data?.results.slice(0, 5) ?? [];
  const goAll = () => { setOpen(false); navigate(`/knowledge?q=${encodeURIComponent(text.trim())}`); };
  return (
    <form ref={ref} className="topbar-search" role="search" onSubmit={(event) => { event.preventDefault(); if (text.trim()) goAll(); }}>
      <Icon name="search" size={16} />
      <label htmlFor="topbar-knowledge-search" className="sr-only">Search the knowledge base</label>
      <input id="topbar-knowledge-search" type="search" placeholder="Search knowledge (controls, ASVS, KEV, runbooks)" value={text}
        onChange={(event) => { setText(event.target.value); setOpen(true); }} onFocus={() => setOpen(true)}
        onKeyDown={(event) => event.key === "Escape" && setOpen(false)} autoComplete="off" />
      {open && q.trim().length >= 2 && (
        <div className="search-popover" role="listbox" aria-label="Knowledge results" data-testid="topbar-search-results">
          {search.isError && <div className="muted small">Search failed</div>}
          {search.data && results.length === 0 && <div className="muted small">Nothing matches</div>}
          {results.map((r) => (
            <button key={r.chunk_id} type="button" role="option" aria-selected={false} className="search-hit" onClick={goAll}>
              <span className="search-hit-source">{r.source_label}</span> <strong>{r.title}</strong>
              <span className="search-hit-excerpt">{r.excerpt.slice(0, 160)}</span>
            </button>
          ))}
          {results.length > 0 && <button type="button" className="search-all" onClick={goAll}>All results for “{text.trim()}”</button>}
        </div>
      )}
    </form>
  );
}
