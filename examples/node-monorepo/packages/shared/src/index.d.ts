export declare function requireSetting(env: Record<string, string | undefined>, name: string): string;
export declare function healthBody(service: string): { status: 'ok'; service: string; time: string };
