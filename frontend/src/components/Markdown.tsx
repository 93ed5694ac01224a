/**
 * Tool-supplied Markdown (Prowler descriptions and remediation, advisories) rendered safely:
 * `marked` turns it into HTML, DOMPurify keeps only harmless elements and attributes. Raw HTML in
 * the source is escaped as text, never parsed; links open in a new tab without the opener.
 */
import { useMemo } from "react";
import DOMPurify from "dompurify";
import { Marked } from "marked";

const SAFE_URL = /^(https?:|mailto:|#|\/(?!\/))/i;

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    // A finding is data, not markup: its inline or block HTML is shown as text.
    html({ text }) {
      return escapeHtml(text);
    },
  },
});

const ALLOWED_TAGS = [
  "p", "br", "strong", "b", "em", "i", "del", "code", "pre", "blockquote", "ul", "ol", "li",
  "a", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
];

let hooked = false;
function sanitizer() {
  if (!hooked) {
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      if (node.tagName !== "A") return;
      const href = node.getAttribute("href") ?? "";
      if (!SAFE_URL.test(href.trim())) node.removeAttribute("href");
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    });
    hooked = true;
  }
  return DOMPurify;
}

/** Markdown to sanitised HTML: the only way Markdown reaches the DOM. */
export function renderMarkdown(source: string): string {
  const html = marked.parse(source) as string;
  return sanitizer().sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: ["href", "title", "target", "rel", "align"],
    ALLOW_DATA_ATTR: false,
  });
}

export function Markdown({ source, className = "prose" }: { source: string; className?: string }) {
  const html = useMemo(() => renderMarkdown(source), [source]);
  // renderMarkdown escapes the source's raw HTML and sanitises marked's output with DOMPurify.
  return <div className={`markdown ${className}`} dangerouslySetInnerHTML={{ __html: html }} />;
}
