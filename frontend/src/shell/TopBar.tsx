import { useEffect, useId, useRef, useState } from "react";
import { useNavigate } from "react-router-dom";
import { useQueryClient } from "@tanstack/react-query";
import { useLogout } from "../api/hooks/auth";
import { setActiveTeamId } from "../api/session";
import { useCurrentUser } from "../app/AuthGate";
import { useTheme } from "../app/theme";
import { Icon } from "../components/Icon";
import { humanize } from "../components/format";
import { KnowledgeSearch } from "./KnowledgeSearch";

function useDismiss(open: boolean, close: () => void) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDown = (event: MouseEvent) => {
      if (ref.current && !ref.current.contains(event.target as Node)) close();
    };
    const onKey = (event: KeyboardEvent) => event.key === "Escape" && close();
    document.addEventListener("mousedown", onDown);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [open, close]);
  return ref;
}

export function TeamSwitcher() {
  const me = useCurrentUser();
  const client = useQueryClient();
  const id = useId();
  return (
    <div className="team-switcher">
      <label htmlFor={id} className="sr-only">
        Active team
      </label>
      <Icon name="users" size={16} />
      <select
        id={id}
        value={me.active_team_id ?? ""}
        onChange={(event) => {
          setActiveTeamId(event.target.value);
          client.removeQueries({ predicate: (query) => query.queryKey[0] !== "auth" || query.queryKey[1] === "me" });
        }}
      >
        {me.teams.map((team) => (
          <option key={team.team_id} value={team.team_id}>
            {team.team_name}
          </option>
        ))}
      </select>
    </div>
  );
}

export function UserMenu() {
  const me = useCurrentUser();
  const [open, setOpen] = useState(false);
  const close = () => setOpen(false);
  const ref = useDismiss(open, close);
  const logout = useLogout();
  const navigate = useNavigate();
  const { theme, toggle } = useTheme();
  const initials = (me.display_name || me.email).split(/[\s@.]+/).filter(Boolean).slice(0, 2).map((part) => part[0]!.toUpperCase()).join("");
  return (
    <div className="user-menu" ref={ref}>
      <button type="button" className="user-button" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span className="avatar" aria-hidden="true">
          {initials}
        </span>
        <span className="user-name">{me.display_name || me.email}</span>
        <Icon name="chevronDown" size={14} />
      </button>
      {open && (
        <div className="menu" role="menu" aria-label="Account">
          <div className="menu-header">
            <div className="menu-email">{me.email}</div>
            <div className="menu-role">{me.role ? humanize(me.role) : "No role"} {me.is_platform_admin && "· Platform admin"}</div>
          </div>
          <button role="menuitem" type="button" onClick={() => { close(); navigate("/account"); }}>
            <Icon name="account" size={16} /> My account
          </button>
          <button role="menuitem" type="button" onClick={() => { toggle(); }}>
            <Icon name={theme === "dark" ? "sun" : "moon"} size={16} /> {theme === "dark" ? "Light theme" : "Dark theme"}
          </button>
          <button
            role="menuitem"
            type="button"
            onClick={() => logout.mutate(undefined, { onSettled: () => navigate("/login", { replace: true }) })}
          >
            <Icon name="logout" size={16} /> Sign out
          </button>
        </div>
      )}
    </div>
  );
}

export function TopBar({ onMenu }: { onMenu: () => void }) {
  const { theme, toggle } = useTheme();
  return (
    <header className="topbar">
      <button type="button" className="icon-btn menu-toggle" aria-label="Open navigation" onClick={onMenu}>
        <Icon name="menu" />
      </button>
      <TeamSwitcher />
      <KnowledgeSearch />
      <div className="topbar-spacer" />
      <button
        type="button"
        className="icon-btn"
        onClick={toggle}
        aria-label={theme === "dark" ? "Switch to light theme" : "Switch to dark theme"}
        title={theme === "dark" ? "Light theme" : "Dark theme"}
      >
        <Icon name={theme === "dark" ? "sun" : "moon"} />
      </button>
      <UserMenu />
    </header>
  );
}
