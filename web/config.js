// Where the API lives. "" = same origin (make run serves web/ next to the API).
// Written at deploy time in production (S3 + CloudFront): e.g. "https://api.example.org".
export const API_BASE = "";
// Seconds between the video player's progress reports (heartbeats).
export const HEARTBEAT_S = 30;
