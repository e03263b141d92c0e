// What the page's scripts use from classic scripts and YouTube's API (not modules).
declare function io(namespace: string | undefined, options: object): any;
interface Window {
  Hls?: any;
  dashjs?: any;
  Vimeo?: any;
  Twitch?: any;
  dailymotion?: any;
  YT?: any;
  onYouTubeIframeAPIReady?: () => void;
}
