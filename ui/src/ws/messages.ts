// Server → client TEXT frames (contract §5.2), as the page reads them.

export interface CursorMsg { type: "cursor"; partition: number; offset: string }
export interface GapMsg { type: "gap"; count: number | string; severity: string; message: string; partition?: number; threadId?: string }
export interface ReplayCompleteMsg {
  type: "replay_complete";
  totalReplayed: number;
  lastOffsetsByPartition: Record<string, string>;
  capped: boolean;
  mode: string;
}
export interface CursorStaleMsg { type: "cursor_stale"; partition: number; requested: string; oldest: string; message: string }
export interface CursorResetCompleteMsg { type: "cursor_reset_complete"; latestOffsetsByPartition: Record<string, string>; message?: string }
export interface DisconnectMsg { type: "disconnect"; reason: string; message?: string; [k: string]: unknown }
export interface ErrorMsg { type: "error"; code: string; message: string }
export interface PongMsg { type: "pong" }

export type ServerMessage =
  | CursorMsg
  | GapMsg
  | ReplayCompleteMsg
  | CursorStaleMsg
  | CursorResetCompleteMsg
  | DisconnectMsg
  | ErrorMsg
  | PongMsg;

/** Parses a TEXT frame; null for invalid JSON or a frame without a type. */
export function parseServerMessage(text: string): ServerMessage | null {
  try {
    const v = JSON.parse(text) as { type?: unknown };
    if (!v || typeof v !== "object" || typeof v.type !== "string") return null;
    return v as ServerMessage;
  } catch {
    return null;
  }
}
