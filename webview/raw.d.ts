/** `import text from 'file?raw'`: the file's text as a string (webpack's asset/source, webpack.config.js). */
declare module '*?raw' {
  const text: string;
  export default text;
}
