// Vite's `?raw` suffix imports a file's text (the README example test reads the README so).
declare module '*?raw' {
  const text: string;
  export default text;
}
